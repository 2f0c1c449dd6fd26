using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Proto = global::Onnx;

namespace CompiledNets.Benchmarks;

/// <summary>
/// Writes the ONNX inference graph of a CompiledNets multilayer perceptron from its weights, in process, with the
/// protobuf classes generated from <c>Onnx/onnx.proto</c>. The graph computes what <c>Predict</c> computes for a stack
/// of Dense layers with ReLU and AtInference dropout after every hidden one:
/// <c>softmax(((relu(x·W1 + b1)·p)·W2 + b2 ...)·Wn + bn)</c>, one <c>Gemm</c> per Dense (weights [in, out], the
/// CompiledNets layout, so no transposition), then <c>Relu</c> and <c>Mul</c> by the keep probability p, and a
/// <c>Softmax</c> over the last axis. The batch dimension is symbolic (<c>batch</c>), so one model serves 1 and 128.
/// </summary>
internal static class OnnxModel
{
    public const string InputName = "input";
    public const string OutputName = "probabilities";

    /// <param name="network">The network: its <see cref="ICompiledNetwork.ParameterTensors"/> must be dense{n}.weight [in, out]
    /// and dense{n}.bias [out] pairs.</param>
    /// <param name="keepProbability">The keep probability of the dropout after each hidden layer (AtInference scaling).</param>
    public static byte[] Mlp(ICompiledNetwork network, float keepProbability)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("raw_data is little-endian.");
        IReadOnlyList<ParameterTensor> tensors = network.ParameterTensors;
        if (tensors.Count % 2 != 0) throw new ArgumentException("Expected weight and bias pairs.", nameof(network));
        ReadOnlySpan<float> parameters = network.Parameters;

        var graph = new Proto.GraphProto { Name = network.GetType().Name };
        graph.Input.Add(Value(InputName, network.InputSize));
        graph.Output.Add(Value(OutputName, network.OutputSize));
        graph.Initializer.Add(Tensor("keep_probability", [], [keepProbability]));

        string x = InputName;
        int layers = tensors.Count / 2;
        for (int layer = 0; layer < layers; layer++)
        {
            ParameterTensor weight = tensors[2 * layer], bias = tensors[2 * layer + 1];
            if (weight.Shape.Count != 2 || bias.Shape.Count != 1 || bias.Shape[0] != weight.Shape[1])
                throw new ArgumentException($"{weight} and {bias} are not a Dense layer's weights and bias.", nameof(network));
            graph.Initializer.Add(Tensor(weight.Name, [weight.Shape[0], weight.Shape[1]], parameters.Slice(weight.Offset, weight.Length)));
            graph.Initializer.Add(Tensor(bias.Name, [bias.Shape[0]], parameters.Slice(bias.Offset, bias.Length)));
            string n = (layer + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            graph.Node.Add(Node("Gemm", [x, weight.Name, bias.Name], "dense" + n));
            x = "dense" + n;
            if (layer < layers - 1)
            {
                graph.Node.Add(Node("Relu", [x], "relu" + n));
                graph.Node.Add(Node("Mul", ["relu" + n, "keep_probability"], "dropout" + n));
                x = "dropout" + n;
            }
        }
        var softmax = Node("Softmax", [x], OutputName);
        softmax.Attribute.Add(new Proto.AttributeProto { Name = "axis", Type = Proto.AttributeProto.Types.AttributeType.Int, I = -1 });
        graph.Node.Add(softmax);

        var model = new Proto.ModelProto
        {
            IrVersion = 8,
            ProducerName = "CompiledNets.Benchmarks",
            Graph = graph,
        };
        model.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
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
