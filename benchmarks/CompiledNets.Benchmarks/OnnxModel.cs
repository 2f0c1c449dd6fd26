using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using CompiledNets.Kernels;
using Google.Protobuf;
using Proto = global::Onnx;

namespace CompiledNets.Benchmarks;

/// <summary>
/// Writes the ONNX inference graph of a CompiledNets network from its weights, in process, with the protobuf classes
/// generated from <c>Onnx/onnx.proto</c> (opset 13). The graph computes what <c>Predict</c> computes, layer by layer as
/// <see cref="NetworkLayers"/> reads them from the attributes:
/// <list type="bullet">
/// <item>an image network first reshapes its flat [batch, C·H·W] input to [batch, C, H, W] (<c>Reshape</c>);</item>
/// <item>Conv2D: <c>Conv</c> with the weights [F, C, k, k] as CompiledNets stores them (ONNX's layout), the bias,
/// <c>kernel_shape</c>, <c>strides</c> and <c>pads</c> [top, left, bottom, right] from the geometry, then the activation;</item>
/// <item>MaxPool2D: <c>MaxPool</c> with <c>kernel_shape</c> and <c>strides</c>, no padding;</item>
/// <item>Dropout and SpatialDropout with AtInference scaling: <c>Mul</c> by the keep probability p (Inverted: nothing);</item>
/// <item>Dense: <c>Flatten</c> after an image layer, then <c>Gemm</c> with the weights [in, out] (the CompiledNets layout,
/// so no transposition) and the bias, then the activation;</item>
/// <item>softmax cross-entropy: <c>Softmax</c> over the last axis (mean squared error: the raw outputs).</item>
/// </list>
/// The batch dimension is symbolic (<c>batch</c>), so one model serves 1 and 128.
/// </summary>
internal static class OnnxModel
{
    public const string InputName = "input";
    public const string OutputName = "probabilities";

    public static byte[] Build(ICompiledNetwork network)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("raw_data is little-endian.");
        NetworkPlan plan = NetworkLayers.Of(network);
        IReadOnlyList<ParameterTensor> tensors = network.ParameterTensors;
        float[] parameters = network.Parameters.ToArray();

        var graph = new Proto.GraphProto { Name = network.GetType().Name };
        graph.Input.Add(Value(InputName, network.InputSize));
        graph.Output.Add(Value(OutputName, network.OutputSize));

        string x = InputName;
        int tensor = 0;
        var counts = new Dictionary<string, int>();
        string Next(string kind) // node names: the kind and how many of it so far (conv1, relu1, pool1, conv2, ...)
        {
            counts[kind] = counts.GetValueOrDefault(kind) + 1;
            return kind + counts[kind].ToString(CultureInfo.InvariantCulture);
        }
        string Add(Proto.NodeProto n) { graph.Node.Add(n); return n.Output[0]; }
        void Parameters(int count)
        {
            for (int i = 0; i < count; i++, tensor++)
            {
                ParameterTensor t = tensors[tensor];
                graph.Initializer.Add(Tensor(t.Name, t.Shape.Select(d => (long)d).ToArray(), parameters.AsSpan(t.Offset, t.Length)));
            }
        }

        bool image = plan.Image;
        if (image)
        {
            graph.Initializer.Add(Int64Tensor("image_shape", [-1, plan.Channels, plan.Height, plan.Width]));
            x = Add(Node("Reshape", [x, "image_shape"], Next("image")));
        }
        foreach (PlannedLayer layer in plan.Layers)
        {
            switch (layer)
            {
                case ConvLayer conv:
                {
                    Conv2DGeometry g = conv.Geometry;
                    Parameters(2);
                    var n = Node("Conv", [x, tensors[tensor - 2].Name, tensors[tensor - 1].Name], Next("conv"));
                    n.Attribute.Add(Ints("kernel_shape", g.KernelSize, g.KernelSize));
                    n.Attribute.Add(Ints("strides", g.Stride, g.Stride));
                    n.Attribute.Add(Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight));
                    x = Activation(Add(n), conv.Activation);
                    break;
                }
                case PoolLayer pool:
                {
                    var n = Node("MaxPool", [x], Next("pool"));
                    n.Attribute.Add(Ints("kernel_shape", pool.Size, pool.Size));
                    n.Attribute.Add(Ints("strides", pool.Stride, pool.Stride));
                    x = Add(n);
                    break;
                }
                case DropoutLayer { Scaling: DropoutScaling.AtInference } dropout:
                {
                    string p = Next("keep_probability");
                    graph.Initializer.Add(Tensor(p, [], [dropout.KeepProbability]));
                    x = Add(Node("Mul", [x, p], Next("dropout")));
                    break;
                }
                case DenseLayer dense:
                {
                    if (image)
                    {
                        var flatten = Node("Flatten", [x], Next("flatten"));
                        flatten.Attribute.Add(new Proto.AttributeProto { Name = "axis", Type = Proto.AttributeProto.Types.AttributeType.Int, I = 1 });
                        x = Add(flatten);
                        image = false;
                    }
                    Parameters(2);
                    x = Activation(Add(Node("Gemm", [x, tensors[tensor - 2].Name, tensors[tensor - 1].Name], Next("dense"))), dense.Activation);
                    break;
                }
            }
        }
        if (network.LossFunction == LossFunction.SoftmaxCrossEntropy)
        {
            var softmax = Node("Softmax", [x], OutputName);
            softmax.Attribute.Add(new Proto.AttributeProto { Name = "axis", Type = Proto.AttributeProto.Types.AttributeType.Int, I = -1 });
            graph.Node.Add(softmax);
        }
        else
        {
            graph.Node.Add(Node("Identity", [x], OutputName));
        }

        var model = new Proto.ModelProto
        {
            IrVersion = 8,
            ProducerName = "CompiledNets.Benchmarks",
            Graph = graph,
        };
        model.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();

        string Activation(string input, Activation activation) => activation switch
        {
            CompiledNets.Activation.None => input,
            CompiledNets.Activation.ReLU => Add(Node("Relu", [input], Next("relu"))),
            CompiledNets.Activation.Tanh => Add(Node("Tanh", [input], Next("tanh"))),
            CompiledNets.Activation.Sigmoid => Add(Node("Sigmoid", [input], Next("sigmoid"))),
            _ => throw new NotSupportedException($"Activation {activation} has no ONNX node here."),
        };
    }

    private static Proto.AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new Proto.AttributeProto { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static Proto.TensorProto Int64Tensor(string name, long[] values)
    {
        var tensor = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static Proto.NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new Proto.NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static Proto.TensorProto Tensor(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var tensor = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    /// <summary>A float tensor [batch, width] with a symbolic batch dimension.</summary>
    private static Proto.ValueInfoProto Value(string name, int width)
    {
        var shape = new Proto.TensorShapeProto();
        shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimValue = width });
        return new Proto.ValueInfoProto
        {
            Name = name,
            Type = new Proto.TypeProto
            {
                TensorType = new Proto.TypeProto.Types.Tensor { ElemType = (int)Proto.TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }
}
