using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using CompiledNets.Serialization.OnnxProto;
using Google.Protobuf;

namespace CompiledNets.Serialization;

/// <summary>
/// Builds the ONNX inference graph of an <see cref="OnnxArchitecture"/> (opset 13, IR version 8): input
/// <c>input</c> [batch, InputSize], a Reshape to [batch, C, H, W] for an image network, then per step a Gemm (weights
/// [in, out] as we keep them, transB = 0), Conv, MaxPool, Relu/Tanh/Sigmoid or Mul by the keep probability, a Flatten
/// before a Dense that reads an image, and a Softmax for a classifier. Output <c>probabilities</c> (classifiers) or
/// <c>outputs</c> (regression), [batch, OutputSize]. Initializers keep our tensor names (<c>dense1.weight</c>, ...).
/// </summary>
internal static class OnnxWriter
{
    public const string InputName = "input";
    public const string ProbabilitiesName = "probabilities";
    public const string OutputsName = "outputs";
    public const string BatchDimension = "batch";
    public const long IrVersion = 8;
    public const long Opset = 13;

    public static ModelProto Build(string graphName, OnnxArchitecture architecture, ReadOnlySpan<float> parameters, string summary)
    {
        var graph = new GraphProto { Name = graphName, DocString = summary };
        graph.Input.Add(Value(InputName, architecture.InputCount));
        string output = architecture.Softmax ? ProbabilitiesName : OutputsName;
        graph.Output.Add(Value(output, architecture.OutputSize));

        string current = InputName;
        bool image = architecture.InputShape.Length == 3;
        if (image)
        {
            int[] s = architecture.InputShape;
            graph.Initializer.Add(Int64Tensor("input.image_shape", [-1, s[0], s[1], s[2]]));
            current = Add(graph, "Reshape", "input_image", current, "input.image_shape");
        }

        foreach (OnnxStep step in architecture.Steps)
        {
            string name = step.Layer.Name;
            switch (step)
            {
                case DenseStep dense:
                    if (image)
                    {
                        current = Add(graph, "Flatten", name + "_flatten", current);
                        graph.Node[^1].Attribute.Add(Int("axis", 1));
                        image = false;
                    }
                    AddParameter(graph, dense.Weight, parameters);
                    AddParameter(graph, dense.Bias, parameters);
                    current = Add(graph, "Gemm", name, current, dense.Weight.Name, dense.Bias.Name);
                    if (dense.Alpha != 1f) graph.Node[^1].Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = dense.Alpha }); // mean-weight DropConnect: p · x·W + b
                    break;
                case ConvStep conv:
                    AddParameter(graph, conv.Weight, parameters);
                    AddParameter(graph, conv.Bias, parameters);
                    current = Add(graph, "Conv", name, current, conv.Weight.Name, conv.Bias.Name);
                    graph.Node[^1].Attribute.Add(Ints("kernel_shape", conv.Kernel, conv.Kernel));
                    graph.Node[^1].Attribute.Add(Ints("strides", conv.Stride, conv.Stride));
                    graph.Node[^1].Attribute.Add(Ints("pads", conv.Pads));
                    break;
                case MaxPoolStep pool:
                    current = Add(graph, "MaxPool", name, current);
                    graph.Node[^1].Attribute.Add(Ints("kernel_shape", pool.Window, pool.Window));
                    graph.Node[^1].Attribute.Add(Ints("strides", pool.Stride, pool.Stride));
                    break;
                case ActivationStep activation:
                    current = Add(graph, activation.Op, name + "_" + activation.Op.ToLowerInvariant(), current);
                    break;
                case ScaleStep scale:
                    string keep = name + ".keep_probability";
                    graph.Initializer.Add(FloatTensor(keep, [], [scale.Keep]));
                    current = Add(graph, "Mul", name, current, keep);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown step {step}.");
            }
        }

        if (architecture.Softmax)
        {
            Add(graph, "Softmax", ProbabilitiesName, current);
            graph.Node[^1].Attribute.Add(Int("axis", -1));
        }
        else if (graph.Node.Count == 0)
        {
            Add(graph, "Identity", OutputsName, current);
        }
        else
        {
            // The last node writes the graph output directly.
            graph.Node[^1].Output[0] = OutputsName;
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "CompiledNets",
            ProducerVersion = typeof(OnnxWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private static string Add(GraphProto graph, string op, string name, params string[] inputs)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        graph.Node.Add(node);
        return name;
    }

    private static void AddParameter(GraphProto graph, ParameterTensor tensor, ReadOnlySpan<float> parameters)
    {
        long[] dims = new long[tensor.Shape.Count];
        for (int i = 0; i < dims.Length; i++) dims[i] = tensor.Shape[i];
        graph.Initializer.Add(FloatTensor(tensor.Name, dims, parameters.Slice(tensor.Offset, tensor.Length)));
    }

    private static TensorProto FloatTensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        byte[] bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        else
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes); // ours alone: no second copy
        return tensor;
    }

    private static TensorProto Int64Tensor(string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params int[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (int value in values) attribute.Ints.Add(value);
        return attribute;
    }

    /// <summary>A float tensor [batch, width] with a symbolic batch dimension.</summary>
    private static ValueInfoProto Value(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    internal static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
