using System;
using System.IO;

namespace CompiledNets.Tests.Data;

/// <summary>Exhaustive and randomized damage to small valid files: the loader may only ever answer InvalidDataException.</summary>
public class IdxTruncationTests
{
    [Theory]
    [InlineData(IdxFiles.TrainImages, false)]
    [InlineData(IdxFiles.TrainImages, true)]
    [InlineData(IdxFiles.TestLabels, false)]
    [InlineData(IdxFiles.TestLabels, true)]
    public void Every_truncation_is_invalid_data_naming_the_file(string name, bool gzip)
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip);
        string path = directory.File(gzip ? name + ".gz" : name);
        byte[] valid = File.ReadAllBytes(path);

        for (int length = 0; length < valid.Length; length++)
        {
            File.WriteAllBytes(path, valid[..length]);

            var ex = Assert.Throws<InvalidDataException>(() => Mnist.Load(directory.Path));

            Assert.StartsWith(path, ex.Message);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_byte_damage_loads_or_is_invalid_data(bool gzip)
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip);
        string path = directory.File(gzip ? IdxFiles.TrainImages + ".gz" : IdxFiles.TrainImages);
        byte[] valid = File.ReadAllBytes(path);
        var random = new Random(20240601);

        for (int trial = 0; trial < 500; trial++)
        {
            byte[] damaged = (byte[])valid.Clone();
            for (int hits = random.Next(1, 4); hits > 0; hits--)
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, damaged);

            // Pixel damage in a plain file is undetectable and loads; anything else must be reported as corrupt.
            try
            {
                Mnist.Load(directory.Path);
            }
            catch (InvalidDataException ex)
            {
                Assert.StartsWith(path, ex.Message);
            }
        }
    }
}
