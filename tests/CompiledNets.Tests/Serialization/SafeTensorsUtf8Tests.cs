using System;
using System.IO;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Serialization;

/// <summary>
/// Found by fuzzing PyTorch.LoadStateDict, which shares the format: a header with invalid UTF-8 inside a string made
/// <see cref="SafeTensors.Load"/> throw InvalidOperationException (JsonDocument parses it and fails only when the name
/// is read) instead of the InvalidDataException naming the file that every corrupt file gets.
/// </summary>
public sealed class SafeTensorsUtf8Tests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_header_with_invalid_utf8_in_a_tensor_name_is_invalid_data()
    {
        var net = new LinearTwoLayerNet(maxBatchSize: 1, seed: 1);
        string path = _directory.File("bad-utf8.safetensors");
        SafeTensors.Save(net, path);
        byte[] file = File.ReadAllBytes(path);
        int at = Array.IndexOf(file, (byte)'d', 8); // the 'd' of "dense1.weight"
        file[at] = 0xC3;                             // a lead byte followed by '(' is no UTF-8
        file[at + 1] = (byte)'(';
        File.WriteAllBytes(path, file);
        float[] before = net.Parameters.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));

        Assert.Contains(path, e.Message);
        Assert.Contains("UTF-8", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
    }
}
