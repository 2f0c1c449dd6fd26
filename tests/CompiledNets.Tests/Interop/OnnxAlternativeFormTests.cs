using System;
using System.Linq;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Data;
using Google.Protobuf;
using static CompiledNets.Tests.Interop.OnnxModelEdits;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// The other ways an exporter writes the same computation load to the same parameters, bit for bit: Gemm with
/// transB = 1 and [out, in] weights, MatMul + Add, a Transpose of the weights, Constant nodes, float_data, a 4-D input,
/// a Pad before the Conv, auto_pad, logits or LogSoftmax at the end, Identity and inference Dropout nodes, other
/// initializer names, initializers listed as graph inputs. Each edited model also still runs in ONNX Runtime with
/// Predict's outputs (the edit changed the form, not the function).
/// </summary>
public sealed class OnnxAlternativeFormTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private void AssertLoadsTheSame(string network, Action<ModelProto> edit, bool checkOnnxRuntime = true, bool fourDimensionalInput = false, int batch = 3)
    {
        ICompiledNetwork original = OnnxTestSupport.Create(network);
        string source = _directory.File("source.onnx");
        Onnx.Save(original, source);
        ModelProto model = OnnxTestSupport.ReadModel(source);
        edit(model);
        string path = _directory.File("edited.onnx");
        OnnxTestSupport.WriteModel(model, path);
        ICompiledNetwork fresh = OnnxTestSupport.Fresh(network);

        Onnx.Load(fresh, path);

        Assert.Equal(OnnxTestSupport.Bytes(original.Parameters), OnnxTestSupport.Bytes(fresh.Parameters));
        if (!checkOnnxRuntime) return;
        float[] inputs = OnnxTestSupport.Inputs(batch * original.InputSize, seed: 11);
        int[] shape = fourDimensionalInput ? [batch, .. original.Layers[0].InputShape] : [batch, original.InputSize];
        float[] runtime = OnnxTestSupport.RunOnnxRuntime(path, inputs, shape, out _);
        float[] expected = OnnxTestSupport.Predict(original, inputs, batch);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - runtime[i]) <= 1e-5f, $"output {i}: Predict {expected[i]}, ONNX Runtime on the edited model {runtime[i]}");
    }

    [Fact]
    public void Gemm_with_transB_and_out_in_weights() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m => m.TransposeGemmWeights());

    [Fact]
    public void MatMul_and_Add_with_the_bias_on_either_side() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m =>
        {
            int n = 0;
            foreach ((NodeProto gemm, _) in m.Gemms())
            {
                int at = m.Graph.Node.IndexOf(gemm);
                string output = gemm.Output[0];
                NodeProto matMul = NewNode("MatMul", output + "_matmul", [gemm.Input[0], gemm.Input[1]]);
                NodeProto add = NewNode("Add", output, n++ % 2 == 0 ? [matMul.Output[0], gemm.Input[2]] : [gemm.Input[2], matMul.Output[0]]);
                m.Graph.Node[at] = matMul;
                m.Graph.Node.Insert(at + 1, add);
            }
        });

    [Fact]
    public void Weights_through_a_Transpose_of_an_out_in_initializer() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m =>
        {
            foreach ((NodeProto gemm, TensorProto weight) in m.Gemms())
            {
                int inputs = (int)weight.Dims[0], units = (int)weight.Dims[1];
                var stored = new TensorProto { Name = weight.Name + "_t", DataType = weight.DataType };
                stored.Dims.Add([units, inputs]);
                stored.SetFloats(Transpose(weight.Floats(), inputs, units));
                m.Graph.Initializer.Remove(weight);
                m.Graph.Initializer.Add(stored);
                NodeProto transpose = NewNode("Transpose", weight.Name, [stored.Name], IntsAttribute("perm", 1, 0));
                m.Graph.Node.Insert(m.Graph.Node.IndexOf(gemm), transpose);
            }
        });

    [Fact]
    public void Constants_as_Constant_nodes_and_values_as_float_data() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m =>
        {
            TensorProto keep = m.Initializer("dropout1.keep_probability");
            m.Graph.Initializer.Remove(keep);
            m.Graph.Node.Insert(0, new NodeProto
            {
                OpType = "Constant", Output = { keep.Name },
                Attribute = { FloatAttribute("value_float", keep.Floats()[0]) },
            });
            TensorProto weight = m.Initializer("dense2.weight");
            m.Graph.Initializer.Remove(weight);
            m.Graph.Node.Insert(0, new NodeProto
            {
                OpType = "Constant", Output = { weight.Name },
                Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = weight } },
            });
            TensorProto bias = m.Initializer("dense1.bias");
            float[] values = bias.Floats();
            bias.ClearRawData();
            bias.FloatData.AddRange(values);
        });

    [Fact]
    public void A_four_dimensional_input_without_the_reshape() =>
        AssertLoadsTheSame(nameof(OnnxPoolDropoutNet), m =>
        {
            m.Bypass("input_image");
            var dims = m.Graph.Input[0].Type.TensorType.Shape.Dim;
            dims.RemoveAt(1);
            foreach (long d in new long[] { 3, 9, 9 }) dims.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }, fourDimensionalInput: true);

    [Fact]
    public void A_fixed_batch_of_one_with_a_reshape_to_it() =>
        AssertLoadsTheSame(nameof(OnnxPoolDropoutNet), m =>
        {
            m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = 1; // as torch.onnx.export writes without dynamic_axes
            m.Graph.Initializer.Remove(m.Initializer("input.image_shape"));
            m.Graph.Initializer.Add(Int64Tensor("input.image_shape", 1, 3, 9, 9));
        }, batch: 1);

    [Fact]
    public void Same_padding_as_a_Pad_node_before_the_Conv() =>
        AssertLoadsTheSame(nameof(OnnxSameConvNet), m =>
        {
            foreach (string name in new[] { "conv1", "conv2" })
            {
                NodeProto conv = m.Node(name);
                AttributeProto pads = conv.Attribute.Single(a => a.Name == "pads");
                long[] p = pads.Ints.ToArray(); // top, left, bottom, right
                pads.Ints.Clear();
                pads.Ints.Add([0, 0, 0, 0]);
                m.Graph.Initializer.Add(Int64Tensor(name + "_pads", 0, 0, p[0], p[1], 0, 0, p[2], p[3]));
                m.InsertAfter(conv.Input[0], NewNode("Pad", name + "_pad", [conv.Input[0], name + "_pads"], StringAttribute("mode", "constant")));
                conv.Input[0] = name + "_pad";
            }
        });

    [Fact]
    public void Same_padding_as_auto_pad_SAME_UPPER() =>
        AssertLoadsTheSame(nameof(OnnxSameConvNet), m =>
        {
            foreach (string name in new[] { "conv1", "conv2" })
            {
                NodeProto conv = m.Node(name);
                conv.Attribute.Remove(conv.Attribute.Single(a => a.Name == "pads"));
                conv.Attribute.Add(StringAttribute("auto_pad", "SAME_UPPER"));
            }
        });

    [Fact]
    public void Logits_without_the_softmax() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m =>
        {
            m.Graph.Node.RemoveAt(m.Graph.Node.Count - 1);
            m.Graph.Output[0].Name = m.Graph.Node[^1].Output[0];
        }, checkOnnxRuntime: false);

    [Fact]
    public void LogSoftmax_at_the_end() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m => m.Graph.Node[^1].OpType = "LogSoftmax", checkOnnxRuntime: false);

    [Fact]
    public void Identity_and_inference_Dropout_nodes_anywhere() =>
        AssertLoadsTheSame(nameof(OnnxPoolDropoutNet), m =>
        {
            m.InsertAfter("input", NewNode("Identity", "identity_in", ["input"]));
            m.InsertAfter("conv1_relu", NewNode("Dropout", "dropout_eval", ["conv1_relu"]));
            m.InsertAfter("dense1", NewNode("Identity", "identity_mid", ["dense1"]));
        });

    [Fact]
    public void Other_initializer_names_and_initializers_listed_as_graph_inputs() =>
        AssertLoadsTheSame(nameof(OnnxMlpNet), m =>
        {
            int n = 0;
            foreach (TensorProto tensor in m.Graph.Initializer)
            {
                string name = $"{n++}.param";
                m.Rewire(tensor.Name, name);
                tensor.Name = name;
                var input = new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = tensor.DataType } } };
                m.Graph.Input.Add(input);
            }
        });
}
