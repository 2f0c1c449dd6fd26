using System;
using System.IO;
using System.Linq;

namespace CompiledNets.Tests.Data;

public class MnistLoadTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Loads_pixels_as_byte_over_255_with_labels_counts_and_features(bool gzip)
    {
        using var directory = new TempDirectory();
        var written = IdxFiles.WriteValidSet(directory, gzip);

        var data = Mnist.Load(directory.Path);

        AssertSplit(data.Train, written.TrainPixels, written.TrainLabels);
        AssertSplit(data.Test, written.TestPixels, written.TestLabels);
    }

    [Fact]
    public void Reads_plain_and_gzipped_files_side_by_side()
    {
        using var directory = new TempDirectory();
        var written = IdxFiles.WriteValidSet(directory, gzip: true);
        File.Move(directory.File(IdxFiles.TrainImages + ".gz"), directory.File("elsewhere"));
        IdxFiles.Write(directory, IdxFiles.TrainImages, IdxFiles.Images(5, 4, 3, written.TrainPixels), gzip: false);

        var data = Mnist.Load(directory.Path);

        AssertSplit(data.Train, written.TrainPixels, written.TrainLabels);
    }

    [Fact]
    public void Prefers_the_plain_file_when_both_exist()
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip: true);
        byte[] plainPixels = Enumerable.Repeat((byte)255, 5 * 4 * 3).ToArray();
        IdxFiles.Write(directory, IdxFiles.TrainImages, IdxFiles.Images(5, 4, 3, plainPixels), gzip: false);

        var data = Mnist.Load(directory.Path);

        Assert.All(data.Train.Images, value => Assert.Equal(1f, value));
    }

    [Fact]
    public void Pixel_values_are_exactly_byte_divided_by_255()
    {
        using var directory = new TempDirectory();
        byte[] everyByte = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        IdxFiles.Write(directory, IdxFiles.TrainImages, IdxFiles.Images(16, 4, 4, everyByte), gzip: false);
        IdxFiles.Write(directory, IdxFiles.TrainLabels, IdxFiles.Labels(IdxFiles.ClassLabels(16)), gzip: false);
        IdxFiles.Write(directory, IdxFiles.TestImages, IdxFiles.Images(1, 4, 4, new byte[16]), gzip: false);
        IdxFiles.Write(directory, IdxFiles.TestLabels, IdxFiles.Labels([9]), gzip: false);

        var data = Mnist.Load(directory.Path);

        for (int b = 0; b < 256; b++)
            Assert.Equal(b / 255f, data.Train.Images[b]);
        Assert.Equal(16, data.Train.Features);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Rejects_a_missing_directory_argument(string? directory) =>
        Assert.ThrowsAny<ArgumentException>(() => Mnist.Load(directory!));

    [Fact]
    public void Names_a_directory_that_does_not_exist()
    {
        string missing = Path.Combine(Path.GetTempPath(), "CompiledNets.Tests.missing." + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<DirectoryNotFoundException>(() => Mnist.Load(missing));

        Assert.Contains(missing, ex.Message);
    }

    [Theory]
    [InlineData(IdxFiles.TrainImages)]
    [InlineData(IdxFiles.TrainLabels)]
    [InlineData(IdxFiles.TestImages)]
    [InlineData(IdxFiles.TestLabels)]
    public void Names_a_file_that_exists_neither_plain_nor_gzipped(string name)
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip: true);
        File.Delete(directory.File(name + ".gz"));

        var ex = Assert.Throws<FileNotFoundException>(() => Mnist.Load(directory.Path));

        Assert.Equal(directory.File(name), ex.FileName);
        Assert.Contains(directory.File(name), ex.Message);
    }

    private static void AssertSplit(Dataset split, byte[] pixels, byte[] labels)
    {
        Assert.Equal(labels.Length, split.Count);
        Assert.Equal(4 * 3, split.Features);
        Assert.Equal(pixels.Select(p => p / 255f), split.Images);
        Assert.Equal(labels.Select(l => (int)l), split.Labels);
    }
}
