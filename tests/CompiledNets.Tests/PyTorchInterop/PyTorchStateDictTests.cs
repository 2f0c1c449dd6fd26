using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Packaging;
using Xunit.Abstractions;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>
/// <see cref="PyTorch.LoadStateDict"/> on PyTorch's own files (make_state_dict_fixtures.py): the same probabilities as
/// PyTorch at eval(), from .pt and .safetensors, with and without module names; <see cref="PyTorch.SaveStateDict"/>
/// and the round trip; names, shapes and inference of the module order.
/// </summary>
public sealed class PyTorchStateDictTests(ITestOutputHelper output) : IDisposable
{
    // PyTorch computed the probabilities in float32; sums of at most 16 terms here, so 1e-5 is generous.
    private const double Tolerance = 1e-5;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("mlp.pt", false)]
    [InlineData("mlp.pt", true)]
    [InlineData("mlp.safetensors", false)]
    [InlineData("mlp.safetensors", true)]
    [InlineData("mlp_protocol4.pt", false)]
    [InlineData("mlp_float64.pt", false)]
    [InlineData("cnn.pt", false)]
    [InlineData("cnn.pt", true)]
    [InlineData("cnn.safetensors", false)]
    [InlineData("cnn.safetensors", true)]
    public void A_pytorch_file_loads_and_predicts_as_pytorch(string file, bool passModules)
    {
        string network = StateDictFixtures.NetworkOf(file);
        ICompiledNetwork net = StateDictFixtures.NewNetwork(network);

        PyTorch.LoadStateDict(net, StateDictFixtures.File(file), passModules ? StateDictFixtures.Modules(network) : null);

        float[] inputs = StateDictFixtures.Inputs(network);
        double[] expected = StateDictFixtures.Probabilities(network);
        int batch = inputs.Length / net.InputSize;
        var probabilities = new float[batch * net.OutputSize];
        net.Predict(inputs, probabilities, batch);
        double worst = expected.Zip(probabilities, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"{file}: largest difference from PyTorch {worst:E2}");
        Assert.True(worst <= Tolerance, $"{file}: a probability differs from PyTorch's by {worst:E3}");
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void The_pt_and_safetensors_files_give_the_same_bits(string network)
    {
        ICompiledNetwork fromPt = StateDictFixtures.NewNetwork(network, seed: 1), fromSafeTensors = StateDictFixtures.NewNetwork(network, seed: 2);
        PyTorch.LoadStateDict(fromPt, StateDictFixtures.File(network + ".pt"));
        PyTorch.LoadStateDict(fromSafeTensors, StateDictFixtures.File(network + ".safetensors"));
        Assert.Equal(StateDictFixtures.Bits(fromPt), StateDictFixtures.Bits(fromSafeTensors));
        if (network == "mlp")
        {
            var fromDoubles = StateDictFixtures.NewNetwork(network, seed: 3);
            PyTorch.LoadStateDict(fromDoubles, StateDictFixtures.File("mlp_float64.pt"));
            Assert.Equal(StateDictFixtures.Bits(fromPt), StateDictFixtures.Bits(fromDoubles)); // float32 -> float64 -> float32 is exact
        }
    }

    [Fact]
    public void A_linear_weight_is_transposed_and_a_conv_weight_is_not()
    {
        var net = new StateDictCnn(maxBatchSize: 1);
        PyTorch.LoadStateDict(net, StateDictFixtures.File("cnn.pt"));
        float[] p = net.Parameters.ToArray();
        // The fixture's safetensors file holds PyTorch's layout: fc1.weight [12, 16], conv1.weight [3, 1, 3, 3].
        Dictionary<string, float[]> file = ReadSafeTensors(StateDictFixtures.File("cnn.safetensors"));
        ParameterTensor conv1 = net.ParameterTensors.Single(t => t.Name == "conv1.weight");
        ParameterTensor dense1 = net.ParameterTensors.Single(t => t.Name == "dense1.weight");
        Assert.Equal([16, 12], dense1.Shape);
        Assert.Equal(file["conv1.weight"], p.AsSpan(conv1.Offset, conv1.Length).ToArray());
        for (int o = 0; o < 12; o++)
        for (int i = 0; i < 16; i++)
            Assert.Equal(file["fc1.weight"][o * 16 + i], p[dense1.Offset + i * 12 + o]);
    }

    // ------------------------------------------------------------------ saving

    [Fact]
    public void Ours_to_pytorch_safetensors_to_ours_is_bit_identical()
    {
        var original = new StateDictCnn(maxBatchSize: 1, seed: 5);
        original.Parameters[3] = float.NaN;                                           // payloads survive too
        original.Parameters[4] = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC01234));
        original.Parameters[5] = -0f;
        string path = _directory.File("cnn.safetensors");
        PyTorch.SaveStateDict(original, path, ["conv1", "conv2", "fc1", "fc2", "fc3"]);

        var copy = new StateDictCnn(maxBatchSize: 1, seed: 6);
        PyTorch.LoadStateDict(copy, path);                       // names inferred by shape
        Assert.Equal(StateDictFixtures.Bits(original), StateDictFixtures.Bits(copy));

        var again = new StateDictCnn(maxBatchSize: 1, seed: 7);
        PyTorch.LoadStateDict(again, path, ["conv1", "conv2", "fc1", "fc2", "fc3"]);
        Assert.Equal(StateDictFixtures.Bits(original), StateDictFixtures.Bits(again));
    }

    [Fact]
    public void A_saved_file_has_pytorch_names_shapes_and_values()
    {
        var net = new StateDictMlp(maxBatchSize: 1);
        PyTorch.LoadStateDict(net, StateDictFixtures.File("mlp.pt"));
        string path = _directory.File("mlp.safetensors");
        PyTorch.SaveStateDict(net, path); // default names: the mirroring nn.Sequential's, "0", "3", "6"

        Dictionary<string, float[]> saved = ReadSafeTensors(path, out JsonElement header);
        Dictionary<string, float[]> pytorch = ReadSafeTensors(StateDictFixtures.File("mlp.safetensors"));
        Assert.Equal(pytorch.Keys.Order(), saved.Keys.Order());
        foreach ((string key, float[] values) in pytorch)
            Assert.Equal(values, saved[key]);
        Assert.Equal([16, 12], header.GetProperty("0.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("pt", header.GetProperty("__metadata__").GetProperty("format").GetString());
    }

    [Fact]
    public void The_default_names_are_those_of_the_mirroring_sequential()
    {
        string path = _directory.File("lenet.safetensors");
        PyTorch.SaveStateDict(new Numerics.AllocationLeNet(maxBatchSize: 1), path);
        // Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Dropout2d, Flatten, Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear
        Assert.Equal(["0.bias", "0.weight", "11.bias", "11.weight", "14.bias", "14.weight", "3.bias", "3.weight", "8.bias", "8.weight"],
            ReadSafeTensors(path).Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// What PyTorch itself reads: Python's standard library always (the format as specified), and with
    /// python3-torch installed, torch.frombuffer into the fixture's nn.Module with load_state_dict(strict=True).
    /// </summary>
    [Fact]
    public void Python_reads_a_saved_file_back_into_the_pytorch_module()
    {
        var net = new StateDictMlp(maxBatchSize: 1);
        PyTorch.LoadStateDict(net, StateDictFixtures.File("mlp.pt"));
        string path = _directory.File("saved.safetensors");
        PyTorch.SaveStateDict(net, path);
        string script = _directory.File("read.py");
        File.WriteAllText(script, """
            import json, struct, sys
            data = open(sys.argv[1], "rb").read()
            (n,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8:8 + n])
            body = data[8 + n:]
            assert n % 8 == 0
            for name, t in sorted(header.items()):
                if name != "__metadata__":
                    begin, end = t["data_offsets"]
                    print(name, t["dtype"], "x".join(map(str, t["shape"])), struct.unpack("<f", body[begin:begin + 4])[0].hex())
            """);
        var run = ProcessRunner.Run("python3", $"\"{script}\" \"{path}\"", _directory.Path, TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["0.bias F32 16", "0.weight F32 16x12", "3.bias F32 10", "3.weight F32 10x16", "6.bias F32 4", "6.weight F32 4x10"],
            run.Output.Trim().Split('\n').Select(l => string.Join(' ', l.Split(' ').Take(3))));

        var torch = ProcessRunner.Run("/usr/bin/python3", "-c \"import torch\"", _directory.Path, TimeSpan.FromMinutes(1));
        if (torch.ExitCode != 0)
        {
            output.WriteLine("python3-torch is not installed: load_state_dict was not tried");
            return;
        }
        string maker = StateDictFixtures.File("make_state_dict_fixtures.py");
        var check = ProcessRunner.Run("/usr/bin/python3", $"\"{maker}\" --check \"{path}\" \"{StateDictFixtures.File("mlp.pt")}\"", _directory.Path, TimeSpan.FromMinutes(2));
        Assert.True(check.ExitCode == 0 && check.Output.Trim().EndsWith("ok", StringComparison.Ordinal), check.Output);
    }

    [Fact]
    public void Saving_to_a_pt_name_or_with_the_wrong_module_count_is_an_argument_error()
    {
        var net = new StateDictMlp(maxBatchSize: 1);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => PyTorch.SaveStateDict(net, _directory.File("model.pt"))).ParamName);
        Assert.Equal("modules", Assert.Throws<ArgumentException>(() => PyTorch.SaveStateDict(net, _directory.File("m.safetensors"), ["a", "b"])).ParamName);
        Assert.Equal("modules", Assert.Throws<ArgumentException>(() => PyTorch.SaveStateDict(net, _directory.File("m.safetensors"), ["a", "b", "a"])).ParamName);
        Assert.Equal("modules", Assert.Throws<ArgumentException>(() => PyTorch.SaveStateDict(net, _directory.File("m.safetensors"), ["a", "", "c"])).ParamName);
        Assert.False(File.Exists(_directory.File("m.safetensors")));
    }

    // ------------------------------------------------------------------ mismatches

    [Fact]
    public void Another_architecture_is_refused_naming_each_key_and_both_shapes_and_nothing_changes()
    {
        StateDictFixtures.AssertRefused(new StateDictOtherMlp(maxBatchSize: 1, seed: 3), StateDictFixtures.File("mlp.pt"), ["0", "3", "6"],
            "'0.weight' has shape [16, 12] but 0.weight for dense1.weight needs [15, 12] (PyTorch's layout of our [12, 15])",
            "'0.bias' has shape [16] but 0.bias for dense1.bias needs [15]",
            "'3.weight' has shape [10, 16] but 3.weight for dense2.weight needs [10, 15]");
    }

    [Fact]
    public void Inferred_names_with_another_architecture_report_the_shapes()
    {
        StateDictFixtures.AssertRefused(new StateDictOtherMlp(maxBatchSize: 1, seed: 3), StateDictFixtures.File("mlp.safetensors"), null,
            "'0.weight' has shape [16, 12] but 0.weight for dense1.weight needs [15, 12]");
        StateDictFixtures.AssertRefused(new StateDictCnn(maxBatchSize: 1), StateDictFixtures.File("mlp.pt"), null,
            "3 modules with a weight but the network has 5 layers", "pass the module names");
    }

    [Fact]
    public void Wrong_module_names_are_missing_keys_and_unused_keys()
    {
        StateDictFixtures.AssertRefused(new StateDictMlp(maxBatchSize: 1), StateDictFixtures.File("mlp.pt"), ["0", "2", "6"],
            "no tensor 2.weight for dense2.weight needs [10, 16]", "no tensor 2.bias for dense2.bias needs [10]",
            "'3.weight' [10, 16] is not a parameter of any layer");
    }

    [Fact]
    public void Module_name_arguments_are_checked_before_the_file_is_opened()
    {
        var net = new StateDictMlp(maxBatchSize: 1);
        string missing = _directory.File("absent.pt");
        Assert.Equal("modules", Assert.Throws<ArgumentException>(() => PyTorch.LoadStateDict(net, missing, ["0", "3"])).ParamName);
        Assert.Throws<FileNotFoundException>(() => PyTorch.LoadStateDict(net, missing));
        Assert.Throws<ArgumentNullException>(() => PyTorch.LoadStateDict(null!, missing));
    }

    [Fact]
    public void An_extra_buffer_such_as_num_batches_tracked_is_refused_by_name()
    {
        var net = new StateDictMlp(maxBatchSize: 1, seed: 4);
        List<TorchTensor> tensors = TorchFiles.FromNetwork(net, ["0", "3", "6"]);
        tensors.Add(new TorchTensor("1.num_batches_tracked", [], []) { StorageClass = "LongStorage", ElementSize = 8, RawBytes = new byte[8] });
        tensors.Add(new TorchTensor("1.running_mean", new float[16], [16]));
        string path = _directory.File("batchnorm.pt");
        TorchFiles.WriteStateDict(path, tensors);
        StateDictFixtures.AssertRefused(new StateDictMlp(maxBatchSize: 1, seed: 5), path, null,
            "'1.num_batches_tracked' [] is not a parameter of any layer", "'1.running_mean' [16] is not a parameter of any layer");
    }

    // ------------------------------------------------------------------ inferring the module order

    [Theory]
    [InlineData(new[] { "hidden1", "hidden2", "out" }, null)]              // same shapes, told apart by their numbers
    [InlineData(new[] { "layers.0.linear", "layers.1.linear", "layers.2.linear" }, null)]
    [InlineData(new[] { "0", "2", "10" }, null)]                          // numerically, not as text
    [InlineData(new[] { "encoder", "decoder", "head" }, "ambiguous")]    // encoder and decoder are both [6, 6]
    [InlineData(new[] { "b.1", "a.2", "c" }, "ambiguous")]
    public void Modules_of_equal_shapes_are_ordered_by_their_numbers_or_must_be_named(string[] modules, string? fault)
    {
        var net = new StateDictTwinNet(maxBatchSize: 1, seed: 8);
        string path = _directory.File("twins.pt");
        TorchFiles.WriteStateDict(path, TorchFiles.FromNetwork(net, modules));
        var target = new StateDictTwinNet(maxBatchSize: 1, seed: 9);

        if (fault is null)
        {
            PyTorch.LoadStateDict(target, path);
            Assert.Equal(StateDictFixtures.Bits(net), StateDictFixtures.Bits(target));
            return;
        }
        StateDictFixtures.AssertRefused(target, path, null, fault, "pass the module names");
        PyTorch.LoadStateDict(target, path, modules);
        Assert.Equal(StateDictFixtures.Bits(net), StateDictFixtures.Bits(target));
    }

    [Fact]
    public void Nested_module_names_are_matched_by_shape()
    {
        var net = new StateDictCnn(maxBatchSize: 1, seed: 10);
        string[] modules = ["features.0", "features.3", "classifier.1", "classifier.4", "classifier.6"];
        string path = _directory.File("nested.pt");
        TorchFiles.WriteStateDict(path, TorchFiles.FromNetwork(net, modules));
        var target = new StateDictCnn(maxBatchSize: 1, seed: 11);
        PyTorch.LoadStateDict(target, path);
        Assert.Equal(StateDictFixtures.Bits(net), StateDictFixtures.Bits(target));
    }

    [Fact]
    public void The_order_of_keys_in_the_file_does_not_matter()
    {
        var net = new StateDictMlp(maxBatchSize: 1, seed: 12);
        List<TorchTensor> tensors = TorchFiles.FromNetwork(net, ["0", "3", "6"]);
        tensors.Reverse();
        string path = _directory.File("reversed.pt");
        TorchFiles.WriteStateDict(path, tensors, protocol4: true);
        var target = new StateDictMlp(maxBatchSize: 1, seed: 13);
        PyTorch.LoadStateDict(target, path);
        Assert.Equal(StateDictFixtures.Bits(net), StateDictFixtures.Bits(target));
    }

    // ------------------------------------------------------------------ helpers

    private static Dictionary<string, float[]> ReadSafeTensors(string path) => ReadSafeTensors(path, out _);

    /// <summary>An independent reader of the format (the F32 tensors only).</summary>
    private static Dictionary<string, float[]> ReadSafeTensors(string path, out JsonElement header)
    {
        byte[] file = File.ReadAllBytes(path);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using JsonDocument document = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, length));
        header = document.RootElement.Clone();
        var tensors = new Dictionary<string, float[]>();
        foreach (JsonProperty entry in header.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            int[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            tensors[entry.Name] = Enumerable.Range(0, (offsets[1] - offsets[0]) / 4)
                .Select(i => BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + length + offsets[0] + 4 * i))).ToArray();
        }
        return tensors;
    }
}
