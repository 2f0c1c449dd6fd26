using System;
using Microsoft.ML.OnnxRuntime;

namespace CompiledNets.Benchmarks;

/// <summary>
/// ONNX Runtime as the inference peer, set up as a .NET app that cares about latency would: one thread
/// (<c>IntraOpNumThreads = 1</c>, <c>InterOpNumThreads = 1</c>, sequential execution), every graph optimization, and
/// IO binding of preallocated <see cref="OrtValue"/>s over pinned arrays, bound once, so that a call is one
/// <c>RunWithBinding</c>: no name or tensor marshalling per call, only ORT's own overhead. The caller copies each
/// call's inputs into <see cref="Input"/>, as <c>Predict</c> copies its inputs into the network's own buffer.
/// </summary>
internal sealed class OnnxPeer : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtValue _input, _output;
    private readonly OrtIoBinding _binding;

    public OnnxPeer(byte[] model, int batch, int inputs, int outputs)
    {
        Input = GC.AllocateArray<float>(batch * inputs, pinned: true);
        Output = GC.AllocateArray<float>(batch * outputs, pinned: true);
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, _options);
        _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Input.AsMemory(), [batch, inputs]);
        _output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Output.AsMemory(), [batch, outputs]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(OnnxModel.InputName, _input);
        _binding.BindOutput(OnnxModel.OutputName, _output);
    }

    /// <summary>[batch, inputs], pinned, bound as the model's input.</summary>
    public float[] Input { get; }

    /// <summary>[batch, outputs], pinned, bound as the model's output (softmax probabilities).</summary>
    public float[] Output { get; }

    /// <summary>Runs the model on <see cref="Input"/> into <see cref="Output"/>.</summary>
    public void Run() => _session.RunWithBinding(_run, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _run.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
