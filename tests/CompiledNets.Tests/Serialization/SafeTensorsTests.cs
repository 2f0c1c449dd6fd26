using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CompiledNets.Tests.Networks;
using CompiledNets.Tests.Packaging;

namespace CompiledNets.Tests.Serialization;

[Network(784)]
[Dense(100, Activation.ReLU)]
[Dense(10)]
public partial class DifferentShapeNet;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("compilednets-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static ReferenceNet Trained(ulong seed)
    {
        var net = new ReferenceNet(maxBatchSize: 8, seed: seed);
        var inputs = Enumerable.Range(0, 8 * 784).Select(i => (float)((i * 7919) % 255) / 255f).ToArray();
        var labels = Enumerable.Range(0, 8).Select(i => i % 10).ToArray();
        var adam = new Adam();
        for (int i = 0; i < 3; i++) net.TrainStep(inputs, labels, adam);
        return net;
    }

    [Fact]
    public void Round_trip_restores_every_parameter_and_the_metadata()
    {
        ReferenceNet saved = Trained(seed: 1);
        string path = PathOf("net.safetensors");
        SafeTensors.Save(saved, path, new Dictionary<string, string> { ["epochs"] = "3" });

        var loaded = new ReferenceNet(maxBatchSize: 8, seed: 99);
        IReadOnlyDictionary<string, string> metadata = SafeTensors.Load(loaded, path);

        Assert.True(saved.Parameters.SequenceEqual(loaded.Parameters));
        Assert.Equal("3", metadata["epochs"]);
    }

    [Fact]
    public void File_follows_the_safetensors_specification()
    {
        ReferenceNet net = Trained(seed: 2);
        string path = PathOf("spec.safetensors");
        SafeTensors.Save(net, path);
        byte[] file = File.ReadAllBytes(path);

        // 8-byte little-endian header size, then that many bytes of UTF-8 JSON (space padding allowed), then data.
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, headerLength % 8);
        string headerText = Encoding.UTF8.GetString(file, 8, (int)headerLength);
        Assert.Equal(headerText.TrimEnd(' '), headerText.TrimEnd(' ').Trim());
        using JsonDocument header = JsonDocument.Parse(headerText);
        int dataStart = 8 + (int)headerLength;

        var tensors = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
        Assert.Equal(new[] { "dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "dense3.weight", "dense3.bias" },
            tensors.Select(t => t.Name));
        long expectedBegin = 0;
        foreach (JsonProperty tensor in tensors)
        {
            ParameterTensor layout = net.ParameterTensors.Single(t => t.Name == tensor.Name);
            Assert.Equal("F32", tensor.Value.GetProperty("dtype").GetString());
            Assert.Equal(layout.Shape, tensor.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            long[] offsets = tensor.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(expectedBegin, offsets[0]); // contiguous, no holes, in order
            Assert.Equal(offsets[0] + 4L * layout.Length, offsets[1]);
            for (int i = 0; i < layout.Length; i++)
            {
                float value = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(dataStart + (int)offsets[0] + 4 * i));
                Assert.Equal(net.Parameters[layout.Offset + i], value);
            }
            expectedBegin = offsets[1];
        }
        Assert.Equal(file.Length - dataStart, expectedBegin); // the data section is exactly the tensors
    }

    [Fact]
    public void An_independent_reader_in_python_sees_the_same_tensors()
    {
        // Python's standard library only (no safetensors package in Debian): struct + json, as the format is specified.
        ReferenceNet net = Trained(seed: 3);
        string path = PathOf("python.safetensors");
        SafeTensors.Save(net, path);
        string script = Path.Combine(_directory, "read.py");
        File.WriteAllText(script, """
            import json, struct, sys
            data = open(sys.argv[1], "rb").read()
            (n,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8:8 + n])
            body = data[8 + n:]
            for name, t in header.items():
                if name == "__metadata__":
                    continue
                begin, end = t["data_offsets"]
                values = struct.unpack("<%df" % ((end - begin) // 4), body[begin:end])
                print(name, t["dtype"], "x".join(map(str, t["shape"])), repr(sum(values)), repr(values[0]))
            """);
        var run = ProcessRunner.Run("python3", $"\"{script}\" \"{path}\"", _directory, TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.Output);

        string[] lines = run.Output.Trim().Split('\n');
        Assert.Equal(net.ParameterTensors.Count, lines.Length);
        foreach ((ParameterTensor tensor, string line) in net.ParameterTensors.Zip(lines))
        {
            string[] fields = line.Split(' ');
            Assert.Equal(tensor.Name, fields[0]);
            Assert.Equal("F32", fields[1]);
            Assert.Equal(string.Join("x", tensor.Shape), fields[2]);
            double expectedSum = 0;
            foreach (float v in net.Parameters.Slice(tensor.Offset, tensor.Length)) expectedSum += v;
            Assert.Equal(expectedSum, double.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture), 6);
            Assert.Equal(net.Parameters[tensor.Offset], (float)double.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void A_network_of_another_shape_is_refused_and_left_unchanged()
    {
        string path = PathOf("reference.safetensors");
        SafeTensors.Save(Trained(seed: 4), path);
        var other = new DifferentShapeNet(seed: 5);
        float[] before = other.Parameters.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(other, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("dense1.weight", e.Message);
        Assert.Contains("[784, 200]", e.Message);
        Assert.Contains("[784, 100]", e.Message);
        Assert.True(before.AsSpan().SequenceEqual(other.Parameters));
    }

    public static IEnumerable<object[]> CorruptFiles()
    {
        // Each: a description, a function that damages a valid file, and a phrase the message must contain.
        yield return ["truncated data", (Func<byte[], byte[]>)(b => b[..^4]), "data_offsets"];
        yield return ["shorter than the length field", (Func<byte[], byte[]>)(b => b[..5]), "fewer than the 8-byte"];
        yield return ["header length past the end", (Func<byte[], byte[]>)(b => { var c = (byte[])b.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(c, ulong.MaxValue); return c; }), "header length"];
        yield return ["header not JSON", (Func<byte[], byte[]>)(b => { var c = (byte[])b.Clone(); c[8] = (byte)'#'; return c; }), "not valid JSON"];
        yield return ["extra bytes after the tensors", (Func<byte[], byte[]>)(b => [.. b, 0, 0, 0, 0]), "data section"];
        yield return ["F16 dtype", (Func<byte[], byte[]>)(b => Replace(b, "\"F32\"", "\"F16\"")), "dtype"];
        yield return ["renamed tensor", (Func<byte[], byte[]>)(b => Replace(b, "dense3.bias", "dense9.bias")), "dense9.bias"];
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void Corrupt_files_throw_InvalidDataException_naming_file_and_fault(string what, Func<byte[], byte[]> damage, string phrase)
    {
        string path = PathOf("corrupt.safetensors");
        SafeTensors.Save(Trained(seed: 6), path);
        File.WriteAllBytes(path, damage(File.ReadAllBytes(path)));
        var net = new ReferenceNet(maxBatchSize: 8, seed: 7);
        float[] before = net.Parameters.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
        Assert.Contains(path, e.Message);
        Assert.True(e.Message.Contains(phrase, StringComparison.Ordinal), $"{what}: {e.Message}");
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters), what);
    }

    [Fact]
    public void A_save_that_fails_part_way_leaves_the_previous_file_intact()
    {
        string path = PathOf("keep.safetensors");
        File.WriteAllText(path, "previous contents");

        Assert.Throws<IOException>(() => Serialization.AtomicFileProbe.WriteThenFail(path));

        Assert.Equal("previous contents", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_directory)); // no temporary file left behind
    }

    private static byte[] Replace(byte[] file, string from, string to)
    {
        // Same-length replacements inside the header keep the header length valid.
        Assert.Equal(from.Length, to.Length);
        string text = Encoding.Latin1.GetString(file);
        return Encoding.Latin1.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }
}
