using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using CompiledNets.Serialization;
using CompiledNets.Serialization.OnnxProto;
using Google.Protobuf;

namespace CompiledNets;

/// <summary>
/// Writes a network's inference graph as an ONNX model, which ONNX Runtime and other ONNX tools run, and reads the
/// weights of an ONNX model of the same architecture (one CompiledNets wrote, or one exported from PyTorch with
/// <c>torch.onnx.export</c>) into a network.
/// </summary>
/// <remarks>
/// <para>The graph computes what <c>Predict</c> computes. Input <c>input</c> is float [batch, InputSize] (batch
/// symbolic); an image network reshapes it to [batch, C, H, W] first. Each Dense is a <c>Gemm</c> with our [in, out]
/// weights (transB = 0), after a <c>Flatten</c> when it reads an image; each Conv2D a <c>Conv</c> with explicit pads
/// (TensorFlow's Same padding puts the odd row and column at the bottom and right); each MaxPool2D a <c>MaxPool</c>;
/// activations are <c>Relu</c>, <c>Tanh</c>, <c>Sigmoid</c> nodes. A dropout with AtInference scaling is a <c>Mul</c>
/// by its keep probability p = 1 − rate (a scalar initializer; it is not folded into the next layer's weights, so
/// the weights in the file are the network's own); with Inverted scaling it is the identity and has no node. A
/// classifier ends in <c>Softmax</c> and its output is <c>probabilities</c>; a MeanSquaredError network's output is
/// <c>outputs</c>, its raw values. Initializers keep the names of <see cref="ICompiledNetwork.ParameterTensors"/>.
/// Opset 13, IR version 8.</para>
/// <para>Layers other than Dense, Conv2D, MaxPool2D, Dropout and SpatialDropout, and activations other than None,
/// ReLU, Tanh and Sigmoid, are not covered yet: both methods throw <see cref="NotSupportedException"/> for them.</para>
/// </remarks>
public static class Onnx
{
    /// <summary>
    /// Writes the network's inference graph with its current parameters to <paramref name="path"/>, atomically: the
    /// model goes to a temporary file beside it, flushed, then renamed, so a failed save leaves no half-written file.
    /// </summary>
    /// <param name="network">The network to write.</param>
    /// <param name="path">The <c>.onnx</c> file to write (replaced if it exists).</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    /// <exception cref="NotSupportedException">The network has a layer or activation ONNX export does not cover yet.</exception>
    public static void Save(ICompiledNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ModelProto model = Model(network);
        AtomicFile.Write(path, model.WriteTo);
    }

    /// <summary>The model <see cref="Save"/> writes (the benchmarks hand its bytes to ONNX Runtime without a file).</summary>
    internal static ModelProto Model(ICompiledNetwork network)
    {
        OnnxArchitecture architecture = OnnxArchitecture.Of(network);
        float[] parameters = network.Parameters.ToArray(); // a snapshot: the file holds one consistent state
        return OnnxWriter.Build(network.GetType().Name, architecture, parameters, network.Summary());
    }

    /// <summary>
    /// Reads the weights of the ONNX model at <paramref name="path"/> into the network's parameters. The model must
    /// compute what the network declares: its graph is followed from its input and each node checked against the
    /// layer list (operators in order, weight shapes, strides, pads, windows, dropout scaling), and the first node or
    /// initializer that differs is named in the error. Nothing is copied until every check has passed, so after a
    /// failure the parameters are unchanged.
    /// </summary>
    /// <remarks>
    /// Accepted besides what <see cref="Save"/> writes: a Dense as <c>Gemm</c> with transB = 1 (weights [out, in], as
    /// <c>torch.onnx.export</c> writes <c>nn.Linear</c>; converted to our [in, out]) or as <c>MatMul</c> + <c>Add</c>, a
    /// weight given as a <c>Transpose</c> of an initializer, constants as <c>Constant</c> nodes, a 4-D input
    /// [batch, C, H, W], <c>Flatten</c>/<c>Reshape</c> wherever they keep each example's values in order (including
    /// shapes computed from <c>Shape</c> of the batch, as <c>x.view(x.size(0), -1)</c> exports), a zero <c>Pad</c>
    /// before a <c>Conv</c> (<c>F.pad</c>, <c>nn.ZeroPad2d</c>), <c>Identity</c> and inference <c>Dropout</c> nodes,
    /// <c>auto_pad</c>, and a classifier ending in <c>Softmax</c>, <c>LogSoftmax</c> or its logits. Initializer names
    /// do not matter (<c>0.weight</c>, <c>fc1.weight</c>, ...): tensors are matched by their place in the graph. A
    /// model trained with inverted dropout (PyTorch's) matches a network declared with
    /// <c>Scaling = DropoutScaling.Inverted</c>. Operator set 11 or later; float32 weights stored in the file.
    /// </remarks>
    /// <param name="network">The network whose <see cref="ICompiledNetwork.Parameters"/> are replaced.</param>
    /// <param name="path">The <c>.onnx</c> file to read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed ONNX model, is larger than a model of this
    /// network can be, or does not match the network; the message names the file and what differs.</exception>
    /// <exception cref="NotSupportedException">The network has a layer or activation ONNX import does not cover yet.</exception>
    public static void Load(ICompiledNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        OnnxArchitecture architecture = OnnxArchitecture.Of(network);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such ONNX model.", path);

        ModelProto model = Parse(path, MaxModelBytes(network));
        List<OnnxReader.Copy> copies = OnnxReader.Match(model, architecture, path);
        Span<float> parameters = network.Parameters;
        foreach (OnnxReader.Copy copy in copies)
            Write(copy, parameters);
    }

    /// <summary>
    /// The largest file <see cref="Load"/> reads for <paramref name="network"/>: twice its weights as float32 plus 16 MiB
    /// for the graph, so that a damaged or foreign file cannot make it allocate without bound.
    /// </summary>
    internal static long MaxModelBytes(ICompiledNetwork network) =>
        Math.Min(2L * sizeof(float) * network.ParameterCount + (16L << 20), Array.MaxLength);

    private static ModelProto Parse(string path, long limit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long length = stream.Length;
        if (length > limit)
            throw OnnxReader.Malformed(path, $"it has {length:N0} bytes, more than an ONNX model of this network can hold (at most {limit:N0})");
        // The file goes to a pooled buffer: the parser copies every tensor out of it, so it is free again right after.
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
        try
        {
            try
            {
                stream.ReadExactly(buffer, 0, (int)length);
            }
            catch (EndOfStreamException e)
            {
                throw OnnxReader.Malformed(path, "it became shorter while it was read", e);
            }
            try
            {
                return ModelProto.Parser.ParseFrom(buffer.AsSpan(0, (int)length));
            }
            catch (InvalidProtocolBufferException e)
            {
                throw OnnxReader.Malformed(path, $"it is not a protobuf message of the ONNX schema ({e.Message.TrimEnd('.')})", e);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies one checked tensor into its place, converting [out, in] to [in, out] where needed.</summary>
    private static void Write(OnnxReader.Copy copy, Span<float> parameters)
    {
        TensorProto source = copy.Source.Tensor;
        Span<float> target = parameters.Slice(copy.Target.Offset, copy.Target.Length);
        ReadOnlySpan<byte> raw = source.RawData.Span;
        bool hasRaw = source.HasRawData; // checked: raw_data, if present, holds every value; otherwise float_data does
        if (!copy.Transposed)
        {
            if (!hasRaw)
                for (int i = 0; i < target.Length; i++) target[i] = source.FloatData[i];
            else if (BitConverter.IsLittleEndian)
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(target);
            else
                for (int i = 0; i < target.Length; i++) target[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
            return;
        }
        // Stored [out, in]; ours is [in, out].
        int inputs = copy.Target.Shape[0], units = copy.Target.Shape[1];
        for (int o = 0; o < units; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                int at = o * inputs + i;
                target[i * units + o] = !hasRaw ? source.FloatData[at] : BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * at)..]);
            }
        }
    }
}
