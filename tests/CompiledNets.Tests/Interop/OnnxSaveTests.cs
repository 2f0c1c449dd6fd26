using System;
using System.IO;
using System.Linq;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// <see cref="Onnx.Save"/>: the model runs in ONNX Runtime with Predict's probabilities (raw outputs for regression)
/// for every network of <see cref="OnnxTestSupport"/>, passes onnx.checker, and loads back bit for bit.
/// </summary>
public sealed class OnnxSaveTests(ITestOutputHelper output) : IDisposable
{
    private const int Batch = 5;
    private const float Tolerance = 1e-5f;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string> Networks => new(OnnxTestSupport.NetworkNames.Select(n => (string)n[0]));

    [Theory]
    [MemberData(nameof(Networks))]
    public void Onnx_runtime_gives_the_probabilities_of_Predict(string name)
    {
        ICompiledNetwork network = OnnxTestSupport.Create(name);
        string path = _directory.File(name + ".onnx");
        Onnx.Save(network, path);
        float[] inputs = OnnxTestSupport.Inputs(Batch * network.InputSize, seed: 7);

        float[] expected = OnnxTestSupport.Predict(network, inputs, Batch);
        float[] actual = OnnxTestSupport.RunOnnxRuntime(path, inputs, [Batch, network.InputSize], out string outputName);

        Assert.Equal(network.LossFunction == LossFunction.SoftmaxCrossEntropy ? "probabilities" : "outputs", outputName);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"{name} output {i}: Predict {expected[i]:R}, ONNX Runtime {actual[i]:R}");
        output.WriteLine($"{name}: largest difference {expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max():G3}");
        // Not trivially equal: the outputs differ between examples.
        Assert.True(expected.Distinct().Count() > network.OutputSize, $"{name}: outputs do not depend on the input");
    }

    [OnnxCheckerTheory]
    [MemberData(nameof(Networks))]
    public void The_onnx_checker_accepts_the_model(string name)
    {
        string path = _directory.File(name + ".onnx");
        Onnx.Save(OnnxTestSupport.Create(name), path);
        string? failure = OnnxTestSupport.Check(path);
        Assert.True(failure is null, $"onnx.checker.check_model(full_check=True) rejected {name}: {failure}");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Save_then_load_into_a_fresh_instance_is_bit_identical(string name)
    {
        ICompiledNetwork network = OnnxTestSupport.Create(name);
        string path = _directory.File(name + ".onnx");
        Onnx.Save(network, path);
        ICompiledNetwork fresh = OnnxTestSupport.Fresh(name);
        Assert.NotEqual(OnnxTestSupport.Bytes(network.Parameters), OnnxTestSupport.Bytes(fresh.Parameters));

        Onnx.Load(fresh, path);

        // A concrete dropout's learned logit has no place in an inference graph: it keeps the fresh instance's value.
        foreach (ParameterTensor logit in fresh.ParameterTensors.Where(t => t.Name.StartsWith("concrete", StringComparison.Ordinal)))
            Assert.NotEqual(network.Parameters[logit.Offset], fresh.Parameters[logit.Offset]);
        foreach (ParameterTensor logit in fresh.ParameterTensors.Where(t => t.Name.StartsWith("concrete", StringComparison.Ordinal)))
            fresh.Parameters[logit.Offset] = network.Parameters[logit.Offset];
        Assert.Equal(OnnxTestSupport.Bytes(network.Parameters), OnnxTestSupport.Bytes(fresh.Parameters));
        // And saving what was loaded writes the same file.
        string again = _directory.File(name + ".again.onnx");
        Onnx.Save(fresh, again);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Fact]
    public void Mean_weight_DropConnect_is_a_Gemm_with_alpha_p_and_moment_matching_is_not_supported()
    {
        string path = _directory.File("meanweight.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(OnnxMeanWeightDropConnectNet)), path);
        var gemms = OnnxTestSupport.ReadModel(path).Graph.Node.Where(n => n.OpType == "Gemm").ToArray();
        Assert.Equal(2, gemms.Length);
        Assert.Equal(0.6f, Assert.Single(gemms[0].Attribute, a => a.Name == "alpha").F);
        Assert.Equal(0.75f, Assert.Single(gemms[1].Attribute, a => a.Name == "alpha").F);

        string failed = _directory.File("moments.onnx");
        var e = Assert.Throws<NotSupportedException>(() => Onnx.Save(new OnnxMomentMatchingDropConnectNet(), failed));
        output.WriteLine(e.Message);
        Assert.Contains("dense2", e.Message, StringComparison.Ordinal);
        Assert.Contains("MomentMatching", e.Message, StringComparison.Ordinal);
        Assert.Contains("DropConnectInference.MeanWeight", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(failed));
    }

    [Fact]
    public void Non_finite_parameters_round_trip_bit_for_bit()
    {
        var network = (ReferenceNet)OnnxTestSupport.Create(nameof(ReferenceNet));
        network.Parameters[0] = float.NaN;
        network.Parameters[1] = float.PositiveInfinity;
        network.Parameters[2] = -0f;
        network.Parameters[3] = BitConverter.Int32BitsToSingle(0x7FC0_1234); // a NaN with a payload
        string path = _directory.File("nonfinite.onnx");
        Onnx.Save(network, path);
        var fresh = new ReferenceNet(8, 5);

        Onnx.Load(fresh, path);

        Assert.Equal(OnnxTestSupport.Bytes(network.Parameters), OnnxTestSupport.Bytes(fresh.Parameters));
    }

    /// <summary>The graph is what the documentation says: names, opset, a Gemm per Dense with our layout, Mul for AtInference dropout.</summary>
    [Fact]
    public void The_graph_has_the_documented_nodes_names_and_opset()
    {
        string path = _directory.File("mlp.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(OnnxMlpNet)), path);
        ModelProto model = OnnxTestSupport.ReadModel(path);

        Assert.Equal(13, model.OpsetImport.Single().Version);
        Assert.Equal("CompiledNets", model.ProducerName);
        Assert.Equal(["Mul", "Gemm", "Relu", "Mul", "Gemm", "Tanh", "Gemm", "Sigmoid", "Gemm", "Softmax"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal("input", model.Graph.Input.Single().Name);
        Assert.Equal("batch", model.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(6, model.Graph.Input.Single().Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal("probabilities", model.Graph.Output.Single().Name);
        TensorProto weight = model.Graph.Initializer.Single(t => t.Name == "dense1.weight");
        Assert.Equal([6L, 7L], weight.Dims);
        Assert.Equal(6 * 7 * 4, weight.RawData.Length);
        TensorProto keep = model.Graph.Initializer.Single(t => t.Name == "dropout1.keep_probability");
        Assert.Empty(keep.Dims);
        Assert.Equal(0.7f, BitConverter.ToSingle(keep.RawData.ToByteArray()));
        // Inverted dropout has no node: three Mul nodes would mean the inverted one got one.
        Assert.Equal(2, model.Graph.Node.Count(n => n.OpType == "Mul"));
    }

    [Fact]
    public void Image_graph_reshapes_the_input_pads_same_convolutions_and_flattens_before_dense()
    {
        string path = _directory.File("same.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(OnnxSameConvNet)), path);
        ModelProto model = OnnxTestSupport.ReadModel(path);

        Assert.Equal(["Reshape", "Conv", "Tanh", "Conv", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"], model.Graph.Node.Select(n => n.OpType));
        long[] Pads(string node) => model.Graph.Node.Single(n => n.Name == node).Attribute.Single(a => a.Name == "pads").Ints.ToArray();
        // conv1: 6×5 input, 3×3 kernel, stride 2: rows total 1 (0 top, 1 bottom), columns total 2 (1, 1).
        Assert.Equal([0L, 1L, 1L, 1L], Pads("conv1"));
        // conv2: 3×3 input, 2×2 kernel, stride 1: total 1 each way, at the bottom and right.
        Assert.Equal([0L, 0L, 1L, 1L], Pads("conv2"));
    }

    [Fact]
    public void Regression_graph_ends_in_raw_outputs()
    {
        string path = _directory.File("regression.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(OnnxRegressionNet)), path);
        ModelProto model = OnnxTestSupport.ReadModel(path);

        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Softmax");
        Assert.Equal("outputs", model.Graph.Output.Single().Name);
        Assert.Equal("outputs", model.Graph.Node[^1].Output.Single());
    }

    [Fact]
    public void Save_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        string path = _directory.File("model.onnx");
        File.WriteAllText(path, "old");
        Onnx.Save(OnnxTestSupport.Create(nameof(SmallMixedNet)), path);

        Assert.NotEqual("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_file_and_no_temporary_file()
    {
        string path = _directory.File("model.onnx");
        File.WriteAllText(path, "old");
        // The snapshot is taken before anything is written, so a network that throws while being read fails early.
        Assert.Throws<InvalidOperationException>(() => Onnx.Save(new ThrowingNetwork(OnnxTestSupport.Create(nameof(SmallMixedNet))), path));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void Bad_arguments_are_argument_exceptions()
    {
        ICompiledNetwork network = OnnxTestSupport.Create(nameof(SmallMixedNet));
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Onnx.Save(null!, "x.onnx")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => Onnx.Save(network, null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => Onnx.Save(network, " ")).ParamName);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Onnx.Load(null!, "x.onnx")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => Onnx.Load(network, null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => Onnx.Load(network, "")).ParamName);
    }

    [Fact]
    public void Loading_a_missing_file_is_file_not_found()
    {
        ICompiledNetwork network = OnnxTestSupport.Create(nameof(SmallMixedNet));
        string missing = _directory.File("missing.onnx");
        Assert.Equal(missing, Assert.Throws<FileNotFoundException>(() => Onnx.Load(network, missing)).FileName);
        Assert.Throws<FileNotFoundException>(() => Onnx.Load(network, Path.Combine(_directory.Path, "no-such-folder", "m.onnx")));
        Assert.Throws<FileNotFoundException>(() => Onnx.Load(network, _directory.Path)); // a directory is not a model file
    }

    /// <summary>A network whose Summary throws (after the architecture is read, before anything is written).</summary>
    private sealed class ThrowingNetwork(ICompiledNetwork inner) : ICompiledNetwork
    {
        public int InputSize => inner.InputSize;
        public int OutputSize => inner.OutputSize;
        public int ParameterCount => inner.ParameterCount;
        public int MaxBatchSize => inner.MaxBatchSize;
        public LossFunction LossFunction => inner.LossFunction;
        public Span<float> Parameters => inner.Parameters;
        public Span<float> Gradients => inner.Gradients;
        public System.Collections.Generic.IReadOnlyList<ParameterTensor> ParameterTensors => inner.ParameterTensors;
        public System.Collections.Generic.IReadOnlyList<LayerInfo> Layers => inner.Layers;
        public string Summary() => throw new InvalidOperationException("summary");
        public ulong MaskStreamState { get => inner.MaskStreamState; set => inner.MaskStreamState = value; }
        public int Threads { get => inner.Threads; set => inner.Threads = value; }
        public ReadOnlySpan<float> Forward(ReadOnlySpan<float> inputs, int batchSize, bool training) => inner.Forward(inputs, batchSize, training);
        public void Predict(ReadOnlySpan<float> inputs, Span<float> probabilities, int batchSize = 1) => inner.Predict(inputs, probabilities, batchSize);
        public void PredictSamples(ReadOnlySpan<float> inputs, int samples, Span<float> mean, Span<float> stdDev, int batchSize = 1) =>
            inner.PredictSamples(inputs, samples, mean, stdDev, batchSize);
        public void Reseed(ulong seed) => inner.Reseed(seed);
    }
}
