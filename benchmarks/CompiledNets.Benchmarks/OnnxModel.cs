using CompiledNets.Serialization;
using Google.Protobuf;

namespace CompiledNets.Benchmarks;

/// <summary>
/// The ONNX model of the peer: exactly what <see cref="Onnx.Save"/> writes for the network (its inference graph with the
/// network's weights: Reshape for image input, Conv, MaxPool, Mul by p for AtInference dropout, Flatten, Gemm with our
/// [in, out] weights, activations, Softmax; opset 13), as bytes in memory, so the benchmarks run the runtime's own
/// writer rather than a copy of it.
/// </summary>
internal static class OnnxModel
{
    public const string InputName = OnnxWriter.InputName;
    public const string OutputName = OnnxWriter.ProbabilitiesName;

    public static byte[] Build(ICompiledNetwork network) => Onnx.Model(network).ToByteArray();
}
