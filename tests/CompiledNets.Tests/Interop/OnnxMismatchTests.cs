using System;
using System.IO;
using System.Linq;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;
using static CompiledNets.Tests.Interop.OnnxModelEdits;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// Every way a model can differ from the declaration, or be malformed, is an <see cref="InvalidDataException"/> whose
/// message names the file, the node or initializer, and both shapes or values; the network's parameters are unchanged
/// after the failed load.
/// </summary>
public sealed class OnnxMismatchTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Saves <paramref name="network"/>'s model, applies <paramref name="edit"/>, and checks that loading it fails with every phrase.</summary>
    private void AssertRefused(string network, Action<ModelProto> edit, params string[] phrases) =>
        AssertRefused(network, network, edit, phrases);

    private void AssertRefused(string saved, string loaded, Action<ModelProto> edit, params string[] phrases)
    {
        string source = _directory.File("source.onnx");
        Onnx.Save(OnnxTestSupport.Create(saved), source);
        ModelProto model = OnnxTestSupport.ReadModel(source);
        edit(model);
        string path = _directory.File("edited.onnx");
        OnnxTestSupport.WriteModel(model, path);
        AssertFileRefused(loaded, path, phrases);
    }

    private string AssertFileRefused(string network, string path, params string[] phrases)
    {
        ICompiledNetwork target = OnnxTestSupport.Create(network, seed: 3);
        byte[] before = OnnxTestSupport.Bytes(target.Parameters);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Onnx.Load(target, path));

        output.WriteLine(error.Message);
        Assert.StartsWith(path + ":", error.Message);
        foreach (string phrase in phrases)
            Assert.True(error.Message.Contains(phrase, StringComparison.Ordinal), $"the message does not say \"{phrase}\": {error.Message}");
        Assert.Equal(before, OnnxTestSupport.Bytes(target.Parameters));
        return error.Message;
    }

    // ------------------------------------------------------------------ initializers

    [Fact]
    public void A_weight_of_another_shape_names_the_initializer_and_both_shapes() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            TensorProto weight = m.Initializer("dense2.weight");
            weight.Dims.Clear();
            weight.Dims.Add([5, 7]);
        },
            "node 'dense2' (Gemm)", "initializer 'dense2.weight'", "[5, 7]", "expected [7, 5]");

    [Fact]
    public void A_bias_of_another_length_names_it_and_both_shapes() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            TensorProto bias = m.Initializer("dense3.bias");
            bias.Dims[0] = 5;
            bias.SetFloats(new float[5]);
        }, "initializer 'dense3.bias'", "[5]", "expected [4]");

    [Fact]
    public void A_convolution_weight_of_another_shape_names_both_shapes() =>
        AssertRefused(nameof(OnnxSameConvNet), m =>
        {
            TensorProto weight = m.Initializer("conv1.weight");
            weight.Dims.Clear();
            weight.Dims.Add([3, 1, 9, 1]);
        }, "node 'conv1' (Conv)", "initializer 'conv1.weight'", "[3, 1, 9, 1]", "expected [3, 1, 3, 3]");

    [Fact]
    public void Raw_data_of_the_wrong_length_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            TensorProto bias = m.Initializer("dense1.bias");
            bias.SetFloats(bias.Floats()[..6]);
        }, "initializer 'dense1.bias'", "24 bytes of raw_data", "[7]", "28 bytes");

    [Fact]
    public void Float_data_of_the_wrong_length_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            TensorProto bias = m.Initializer("dense1.bias");
            float[] values = bias.Floats();
            bias.ClearRawData();
            bias.FloatData.AddRange(values.Skip(1));
        }, "initializer 'dense1.bias'", "6 float_data values", "[7]");

    /// <summary>Present but empty raw_data is raw data of the wrong length (as ONNX Runtime reads it), even beside float_data.</summary>
    [Fact]
    public void Empty_raw_data_is_refused_even_with_float_data() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            TensorProto bias = m.Initializer("dense1.bias");
            float[] values = bias.Floats();
            bias.RawData = Google.Protobuf.ByteString.Empty;
            bias.FloatData.AddRange(values);
        }, "initializer 'dense1.bias'", "both raw_data and float_data");

    [Fact]
    public void A_weight_of_another_data_type_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Initializer("dense3.weight").DataType = (int)TensorProto.Types.DataType.Double,
            "initializer 'dense3.weight'", "double", "float32");

    [Fact]
    public void Weights_in_an_external_file_are_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            TensorProto weight = m.Initializer("dense1.weight");
            weight.ClearRawData();
            weight.DataLocation = TensorProto.Types.DataLocation.External;
            weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        }, "initializer 'dense1.weight'", "external file");

    [Fact]
    public void Two_initializers_of_one_name_are_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Graph.Initializer.Add(m.Initializer("dense1.bias").Clone()),
            "two initializers named 'dense1.bias'");

    // ------------------------------------------------------------------ nodes

    [Fact]
    public void Another_activation_names_the_node_and_the_layer() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Node("dense1_relu").OpType = "Tanh",
            "node 'dense1_relu' (Tanh)", "ReLU activation of layer dense1");

    [Fact]
    public void An_unknown_operator_names_the_node() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Node("dense2_tanh").OpType = "LeakyRelu",
            "node 'dense2_tanh' (LeakyRelu)", "Tanh activation of layer dense2");

    [Fact]
    public void An_operator_of_another_domain_names_the_node() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Node("dense2_tanh").Domain = "com.microsoft",
            "node 'dense2_tanh'", "domain 'com.microsoft'");

    [Fact]
    public void A_missing_activation_names_the_node_found_instead() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Bypass("dense3_sigmoid"),
            "node 'dense4' (Gemm)", "Sigmoid activation of layer dense3");

    [Fact]
    public void A_missing_keep_probability_multiplication_names_the_layer_and_hints_at_inverted_scaling() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Bypass("dropout1"),
            "node 'dense2' (Gemm)", "layer dropout1", "keep probability 0.7", "Scaling = DropoutScaling.Inverted");

    [Fact]
    public void Another_keep_probability_names_both_values() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Initializer("dropout1.keep_probability").SetFloats([0.5f]),
            "node 'dropout1' (Mul)", "multiplies by 0.5", "keep probability 0.7");

    [Fact]
    public void A_convolution_stride_that_differs_names_both() =>
        AssertRefused(nameof(OnnxValidConvNet), m =>
        {
            AttributeProto strides = m.Node("conv2").Attribute.Single(a => a.Name == "strides");
            strides.Ints.Clear();
            strides.Ints.Add([1, 1]);
        }, "node 'conv2' (Conv)", "strides [1, 1]", "strides [2, 2]");

    [Fact]
    public void Convolution_pads_that_differ_name_both() =>
        AssertRefused(nameof(OnnxSameConvNet), m =>
        {
            AttributeProto pads = m.Node("conv1").Attribute.Single(a => a.Name == "pads");
            pads.Ints.Clear();
            pads.Ints.Add([1, 1, 0, 1]); // the odd row on top, as a wrong Same would put it
        }, "node 'conv1' (Conv)", "[1, 1, 0, 1]", "[0, 1, 1, 1]");

    [Fact]
    public void A_pooling_window_that_differs_names_both() =>
        AssertRefused(nameof(OnnxPoolDropoutNet), m =>
        {
            AttributeProto kernel = m.Node("pool1").Attribute.Single(a => a.Name == "kernel_shape");
            kernel.Ints.Clear();
            kernel.Ints.Add([2, 2]);
        }, "node 'pool1' (MaxPool)", "kernel_shape [2, 2]", "kernel_shape [3, 3]");

    [Fact]
    public void Gemm_with_alpha_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Node("dense2").Attribute.Add(FloatAttribute("alpha", 2f)),
            "node 'dense2' (Gemm)", "alpha = 2");

    [Fact]
    public void Gemm_without_a_bias_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Node("dense2").Input.RemoveAt(2),
            "node 'dense2' (Gemm)", "no bias", "dense2.bias [5]");

    [Fact]
    public void An_unknown_attribute_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Node("dense1_relu").Attribute.Add(IntAttribute("alpha", 1)),
            "node 'dense1_relu' (Relu)", "attribute 'alpha'");

    [Fact]
    public void A_node_after_the_output_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            m.Graph.Node.Add(NewNode("Relu", "extra", ["probabilities"]));
            m.Graph.Output[0].Name = "extra";
        }, "node 'extra' (Relu)", "follows the network's last step");

    [Fact]
    public void A_branch_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            m.Graph.Node.Add(NewNode("Relu", "side", ["dense1"]));
            m.Graph.Output.Add(m.Graph.Output[0].Clone());
            m.Graph.Output[1].Name = "side";
        }, "'dense1' is read by both", "node 'side' (Relu)");

    [Fact]
    public void A_node_off_the_path_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Graph.Node.Add(NewNode("Relu", "stray", ["dense1.bias"])),
            "node 'stray' (Relu)", "not on the network's path");

    [Fact]
    public void A_graph_that_ends_early_says_where() =>
        AssertRefused(nameof(OnnxMlpNet), m =>
        {
            while (m.Graph.Node[^1].Name != "dense3_sigmoid") m.Graph.Node.RemoveAt(m.Graph.Node.Count - 1);
            m.Graph.Output[0].Name = "dense3_sigmoid";
        }, "the graph ends at 'dense3_sigmoid'", "layer dense4");

    [Fact]
    public void A_dense_reading_an_image_without_flatten_is_refused() =>
        AssertRefused(nameof(OnnxSameConvNet), m => m.Bypass("dense1_flatten"),
            "node 'dense1' (Gemm)", "reads [batch, 2, 3, 3]", "[batch, 18]", "Flatten");

    // ------------------------------------------------------------------ model and graph

    [Fact]
    public void A_model_without_a_graph_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Graph = null, "no graph");

    [Fact]
    public void An_old_operator_set_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.OpsetImport[0].Version = 9, "operator set 9", "11 or later");

    [Fact]
    public void A_model_without_an_operator_set_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.OpsetImport.Clear(), "opset_import");

    [Fact]
    public void An_input_of_another_width_names_both() =>
        AssertRefused(nameof(OnnxMlpNet), m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 8,
            "graph input 'input'", "[batch, 8]", "8 values per example", "reads 6");

    [Fact]
    public void A_model_of_another_network_names_the_first_difference()
    {
        string path = _directory.File("mlp.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(OnnxMlpNet)), path);
        // SmallMixedNet reads 7 inputs, not 6.
        AssertFileRefused(nameof(SmallMixedNet), path, "graph input 'input'", "[batch, 6]", "reads 7");
        // ReferenceNet: 784 inputs.
        AssertFileRefused(nameof(ReferenceNet), path, "[batch, 6]", "784");
    }

    [Fact]
    public void A_model_with_other_hidden_widths_names_the_initializer()
    {
        // OnnxRegressionNet is 5-6-2; SmallRegressionNet is 5-8-3.
        string path = _directory.File("regression.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(OnnxRegressionNet)), path);
        AssertFileRefused(nameof(SmallRegressionNet), path, "node 'dense1' (Gemm)", "initializer 'dense1.weight'", "[5, 6]", "expected [5, 8]");
    }

    [Fact]
    public void A_model_with_inverted_dropout_is_refused_by_a_declaration_with_at_inference_dropout()
    {
        string path = _directory.File("mlp.onnx");
        Onnx.Save(OnnxTestSupport.Create(nameof(PyTorchOnnxMlp)), path);
        // Same layers, but this declaration multiplies by p = 0.7 at inference, which the model does not.
        AssertFileRefused(nameof(PyTorchOnnxMlpAtInference), path, "layer dropout1", "Scaling = DropoutScaling.Inverted");
    }

    [Fact]
    public void Pytorchs_inverted_dropout_model_is_refused_by_an_at_inference_declaration_with_a_hint() =>
        AssertFileRefused(nameof(PyTorchOnnxMlpAtInference), OnnxTestSupport.FixturePath("pytorch_mlp.onnx"),
            "node '/fc2/Gemm' (Gemm)", "layer dropout1", "keep probability 0.7", "Scaling = DropoutScaling.Inverted");

    [Fact]
    public void A_softmax_at_the_end_of_a_regression_model_is_refused() =>
        AssertRefused(nameof(OnnxRegressionNet), m =>
        {
            m.Graph.Node.Add(NewNode("Softmax", "softmax", ["outputs"]));
            m.Graph.Output[0].Name = "softmax";
        }, "node 'softmax' (Softmax)", "MeanSquaredError");

    // ------------------------------------------------------------------ found by OnnxFuzzTests: models ONNX Runtime refuses

    private static void SetImageShape(ModelProto m, params long[] shape)
    {
        m.Graph.Initializer.Remove(m.Initializer("input.image_shape"));
        m.Graph.Initializer.Add(Int64Tensor("input.image_shape", shape));
    }

    private static void FixBatch(ModelProto m, long batch) => m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = batch;

    [Fact]
    public void A_reshape_to_a_fixed_batch_is_refused_when_the_input_batch_is_not_fixed() =>
        AssertRefused(nameof(OnnxPoolDropoutNet), m => SetImageShape(m, 4, 3, 9, 9),
            "node 'input_image' (Reshape)", "[4, 3, 9, 9], a batch of 4", "batch is not fixed");

    [Fact]
    public void A_reshape_to_another_fixed_batch_than_the_inputs_is_refused() =>
        AssertRefused(nameof(OnnxPoolDropoutNet), m =>
        {
            FixBatch(m, 1);
            SetImageShape(m, 4, 3, 9, 9);
        }, "node 'input_image' (Reshape)", "a batch of 4", "batch is 1");

    [Fact]
    public void A_flatten_that_gathers_another_dimension_as_the_batch_is_refused()
    {
        // x.view(x.size(0), -1) with the Gather index edited from 0 to -1: a Reshape to [10, -1] (the input's width).
        ModelProto model = OnnxTestSupport.ReadModel(OnnxTestSupport.FixturePath("pytorch_mlp.onnx"));
        model.Node("/Constant").Attribute[0].T.RawData = Google.Protobuf.ByteString.CopyFrom(BitConverter.GetBytes(-1L));
        string path = _directory.File("gather.onnx");
        OnnxTestSupport.WriteModel(model, path);
        AssertFileRefused(nameof(PyTorchOnnxMlp), path, "node '/Reshape' (Reshape)", "a batch of 10", "batch is not fixed");
    }

    [Fact]
    public void A_fixed_batch_beyond_an_int_is_refused() =>
        AssertRefused(nameof(OnnxMlpNet), m => FixBatch(m, long.MaxValue), "graph input 'input'", "a batch of 9223372036854775807");

    [Fact]
    public void Pooling_pads_that_are_not_four_are_refused() =>
        AssertRefused(nameof(OnnxPoolDropoutNet), m => m.Node("pool1").Attribute.Add(IntsAttribute("pads", 0, 0)),
            "node 'pool1' (MaxPool)", "pads [0, 0]");

    [Fact]
    public void Auto_pad_beside_pads_is_refused() =>
        AssertRefused(nameof(OnnxPoolDropoutNet), m => m.Node("conv1").Attribute.Add(StringAttribute("auto_pad", "SAME_UPPER")),
            "node 'conv1' (Conv)", "auto_pad 'SAME_UPPER' and pads", "not allow");

    [Fact]
    public void Reshape_allowzero_before_operator_set_14_is_refused() =>
        AssertRefused(nameof(OnnxPoolDropoutNet), m => m.Node("input_image").Attribute.Add(IntAttribute("allowzero", 0)),
            "node 'input_image' (Reshape)", "attribute 'allowzero'");

    [Fact]
    public void Slice_axes_that_are_not_one_dimensional_are_refused()
    {
        ModelProto model = OnnxTestSupport.ReadModel(OnnxTestSupport.FixturePath("pytorch_cnn.onnx"));
        TensorProto axes = model.Node("/0/Constant_3").Attribute[0].T;
        axes.Dims.Add(1); // [1] -> [1, 1]
        string path = _directory.File("axes.onnx");
        OnnxTestSupport.WriteModel(model, path);
        AssertFileRefused(nameof(PyTorchOnnxCnn), path, "the axes of node '/0/Slice' (Slice)", "shape [1, 1]", "1-D");
    }

    [Fact]
    public void Text_is_not_a_model()
    {
        string path = _directory.File("text.onnx");
        File.WriteAllText(path, "{\"this\": \"is json, not an ONNX model\"}");
        AssertFileRefused(nameof(OnnxMlpNet), path, "not a well-formed ONNX model");
    }

    [Fact]
    public void An_empty_file_is_a_model_without_a_graph()
    {
        string path = _directory.File("empty.onnx");
        File.WriteAllBytes(path, []);
        AssertFileRefused(nameof(OnnxMlpNet), path, "no graph");
    }

    [Fact]
    public void A_file_larger_than_any_model_of_the_network_is_refused_before_it_is_read()
    {
        string path = _directory.File("huge.onnx");
        using (var stream = File.Create(path))
            stream.SetLength(64L << 20); // sparse: 64 MiB of zeros
        AssertFileRefused(nameof(OnnxMlpNet), path, "67,108,864 bytes", "at most");
    }
}
