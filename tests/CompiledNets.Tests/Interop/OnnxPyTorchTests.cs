using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CompiledNets.Tests.Data;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// Models exported by PyTorch's <c>torch.onnx.export</c> (Fixtures/, written by make_onnx_fixtures.py with Debian's
/// python3-torch: an MLP of named Linear modules with <c>x.view(x.size(0), -1)</c>, and an nn.Sequential CNN with
/// nn.ZeroPad2d, overlapping pooling, Dropout2d, Flatten and Softmax) load into the same architectures declared with
/// attributes, and Predict gives PyTorch's probabilities within 1e-5.
/// </summary>
public sealed class OnnxPyTorchTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private sealed record Fixture(string File, int[] InputShape, float[] Inputs, float[] Probabilities);

    private static Fixture Read(string name)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(OnnxTestSupport.FixturePath("onnx_fixtures.json")));
        JsonElement entry = json.RootElement.GetProperty(name);
        return new Fixture(
            entry.GetProperty("file").GetString()!,
            entry.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            entry.GetProperty("inputs").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            entry.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    public static TheoryData<string, string> Fixtures => new() { { "mlp", nameof(PyTorchOnnxMlp) }, { "cnn", nameof(PyTorchOnnxCnn) } };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_pytorch_export_loads_and_predicts_pytorchs_probabilities(string fixtureName, string network)
    {
        Fixture fixture = Read(fixtureName);
        ICompiledNetwork net = OnnxTestSupport.Fresh(network);
        int batch = fixture.InputShape[0];

        Onnx.Load(net, OnnxTestSupport.FixturePath(fixture.File));

        float[] probabilities = OnnxTestSupport.Predict(net, fixture.Inputs, batch);
        Assert.Equal(fixture.Probabilities.Length, probabilities.Length);
        for (int i = 0; i < probabilities.Length; i++)
            Assert.True(Math.Abs(probabilities[i] - fixture.Probabilities[i]) <= Tolerance,
                $"{fixtureName} output {i}: CompiledNets {probabilities[i]:R}, PyTorch {fixture.Probabilities[i]:R}");
        // The fixture is not degenerate: its examples are told apart.
        Assert.True(fixture.Probabilities.Distinct().Count() > net.OutputSize);
    }

    /// <summary>ONNX Runtime runs PyTorch's file and ours (saved after loading PyTorch's) to the same outputs.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Onnx_runtime_gives_the_same_outputs_for_pytorchs_model_and_ours_after_loading_it(string fixtureName, string network)
    {
        Fixture fixture = Read(fixtureName);
        ICompiledNetwork net = OnnxTestSupport.Fresh(network);
        Onnx.Load(net, OnnxTestSupport.FixturePath(fixture.File));
        string ours = _directory.File("ours.onnx");
        Onnx.Save(net, ours);
        int batch = fixture.InputShape[0];

        float[] theirs = OnnxTestSupport.RunOnnxRuntime(OnnxTestSupport.FixturePath(fixture.File), fixture.Inputs, fixture.InputShape, out _);
        float[] mine = OnnxTestSupport.RunOnnxRuntime(ours, fixture.Inputs, [batch, net.InputSize], out _);

        if (fixtureName == "mlp") // PyTorch's MLP ends in logits; ours in probabilities
            theirs = Softmax(theirs, net.OutputSize);
        for (int i = 0; i < mine.Length; i++)
            Assert.True(Math.Abs(mine[i] - theirs[i]) <= Tolerance, $"{fixtureName} output {i}: ours {mine[i]:R}, PyTorch's file {theirs[i]:R}");
    }

    /// <summary>Loading then saving then loading again changes nothing: PyTorch's [out, in] weights became ours exactly.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Pytorchs_weights_survive_our_round_trip_bit_for_bit(string fixtureName, string network)
    {
        ICompiledNetwork net = OnnxTestSupport.Fresh(network);
        Onnx.Load(net, OnnxTestSupport.FixturePath(Read(fixtureName).File));
        string ours = _directory.File("ours.onnx");
        Onnx.Save(net, ours);
        ICompiledNetwork again = OnnxTestSupport.Create(network, seed: 5);

        Onnx.Load(again, ours);

        Assert.Equal(OnnxTestSupport.Bytes(net.Parameters), OnnxTestSupport.Bytes(again.Parameters));
    }

    /// <summary>The PyTorch MLP, whose nn.Linear weights are [out, in]: dense1.weight is fc1.weight transposed.</summary>
    [Fact]
    public void Linear_weights_are_transposed_into_our_layout()
    {
        var net = new PyTorchOnnxMlp(8, 1);
        string path = OnnxTestSupport.FixturePath("pytorch_mlp.onnx");
        Onnx.Load(net, path);
        CompiledNets.Serialization.OnnxProto.TensorProto fc1 = OnnxTestSupport.ReadModel(path).Graph.Initializer.Single(t => t.Name == "fc1.weight");
        Assert.Equal([16L, 10L], fc1.Dims);
        float[] stored = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(fc1.RawData.Span).ToArray();
        ParameterTensor dense1 = net.ParameterTensors.Single(t => t.Name == "dense1.weight");
        for (int i = 0; i < 10; i++)
        for (int o = 0; o < 16; o++)
            Assert.Equal(stored[o * 10 + i], net.Parameters[dense1.Offset + i * 16 + o]);
    }

    private static float[] Softmax(float[] logits, int width)
    {
        float[] result = new float[logits.Length];
        for (int row = 0; row < logits.Length / width; row++)
        {
            ReadOnlySpan<float> x = logits.AsSpan(row * width, width);
            double max = x.ToArray().Max(), sum = 0;
            for (int j = 0; j < width; j++) sum += Math.Exp(x[j] - max);
            for (int j = 0; j < width; j++) result[row * width + j] = (float)(Math.Exp(x[j] - max) / sum);
        }
        return result;
    }
}
