using System;
using System.Linq;
using System.Runtime.InteropServices;
using CompiledNets.Serialization.OnnxProto;
using Google.Protobuf;

namespace CompiledNets.Tests.Interop;

/// <summary>Edits of a parsed ONNX model for the mismatch and alternative-form tests.</summary>
internal static class OnnxModelEdits
{
    public static NodeProto Node(this ModelProto model, string name) => model.Graph.Node.Single(n => n.Name == name);

    public static TensorProto Initializer(this ModelProto model, string name) => model.Graph.Initializer.Single(t => t.Name == name);

    public static float[] Floats(this TensorProto tensor) => MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();

    public static void SetFloats(this TensorProto tensor, float[] values) =>
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>Replaces every reading of <paramref name="from"/> by <paramref name="to"/>.</summary>
    public static void Rewire(this ModelProto model, string from, string to)
    {
        foreach (NodeProto node in model.Graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
    }

    /// <summary>Removes a one-input node, its readers reading its input instead.</summary>
    public static void Bypass(this ModelProto model, string name)
    {
        NodeProto node = model.Node(name);
        model.Graph.Node.Remove(node);
        model.Rewire(node.Output[0], node.Input[0]);
    }

    /// <summary>Inserts <paramref name="node"/> (one input, one output) after the node writing its input.</summary>
    public static void InsertAfter(this ModelProto model, string value, NodeProto node)
    {
        model.Rewire(value, node.Output[0]);
        node.Input[0] = value; // undo the rewire of the new node itself
        int at = model.Graph.Node.ToList().FindIndex(n => n.Output.Contains(value));
        model.Graph.Node.Insert(at + 1, node);
    }

    public static NodeProto NewNode(string op, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto StringAttribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto FloatAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static TensorProto Int64Tensor(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    /// <summary>[rows, cols] row-major to [cols, rows].</summary>
    public static float[] Transpose(float[] values, int rows, int cols)
    {
        float[] result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[c * rows + r] = values[r * cols + c];
        return result;
    }

    /// <summary>Every Gemm of the graph with its weight initializer.</summary>
    public static (NodeProto Gemm, TensorProto Weight)[] Gemms(this ModelProto model) =>
        model.Graph.Node.Where(n => n.OpType == "Gemm").Select(n => (n, model.Initializer(n.Input[1]))).ToArray();

    /// <summary>Every Gemm's weights stored [out, in] with transB = 1, as torch.onnx.export writes nn.Linear.</summary>
    public static void TransposeGemmWeights(this ModelProto model)
    {
        foreach ((NodeProto gemm, TensorProto weight) in model.Gemms())
        {
            int inputs = (int)weight.Dims[0], units = (int)weight.Dims[1];
            weight.SetFloats(Transpose(weight.Floats(), inputs, units));
            weight.Dims.Clear();
            weight.Dims.Add([units, inputs]);
            gemm.Attribute.Add(IntAttribute("transB", 1));
        }
    }
}
