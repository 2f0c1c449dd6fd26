using System;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace CompiledNets.Benchmarks;

/// <summary>
/// ONNX Runtime running the same function as an <see cref="InferenceBenchmark"/> (the trained network's <c>Predict</c>:
/// AtInference dropout scaling, softmax), with the same weights (written into the ONNX model by <see cref="OnnxModel"/>
/// from the trained network), on the same inputs taken in the same order. The setup checks every call's probabilities
/// against <c>Predict</c>'s and throws if any differs by more than <see cref="OnnxCheck.Tolerance"/>.
/// </summary>
public abstract class OnnxInferenceBenchmark
{
    private float[] _inputs = [];
    private int _count, _next, _inputSize;
    private OnnxPeer _peer = null!;

    /// <summary>Images per call.</summary>
    [Params(1, 128)]
    public int Batch { get; set; }

    /// <summary>Real images, or random dense inputs.</summary>
    [Params(InputKind.Images, InputKind.Random)]
    public InputKind Input { get; set; }

    /// <summary>The trained network whose weights and function the ONNX model takes.</summary>
    protected abstract ICompiledNetwork Create();

    [GlobalSetup]
    public void Setup()
    {
        ICompiledNetwork net = Create();
        _inputSize = net.InputSize;
        _inputs = Data.InferenceInputs(Input);
        _count = _inputs.Length / _inputSize / Batch;
        _peer = new OnnxPeer(OnnxModel.Build(net), Batch, net.InputSize, net.OutputSize);
        double worst = OnnxCheck.Verify(net, _peer, _inputs, Batch);
        Console.WriteLine($"// ONNX Runtime matches Predict: largest difference {worst.ToString("E2", CultureInfo.InvariantCulture)} over {_count} calls");
    }

    [GlobalCleanup]
    public void Cleanup() => _peer.Dispose();

    [Benchmark]
    public void Run()
    {
        int n = Batch * _inputSize;
        _inputs.AsSpan(_next++ % _count * n, n).CopyTo(_peer.Input);
        _peer.Run();
    }
}

/// <summary>ONNX Runtime running the trained reference network (<see cref="InferenceBenchmarks"/>' function).</summary>
[Config(typeof(ShortConfig))]
public class OnnxInferenceBenchmarks : OnnxInferenceBenchmark
{
    protected override ICompiledNetwork Create() => Data.TrainedReference();
}

/// <summary>ONNX Runtime running the trained <see cref="LeNet"/> (<see cref="LeNetInferenceBenchmarks"/>' function).</summary>
[Config(typeof(ShortConfig))]
public class LeNetOnnxInferenceBenchmarks : OnnxInferenceBenchmark
{
    protected override ICompiledNetwork Create() => Data.TrainedLeNet();
}

/// <summary>The numerical check of the ONNX peer against <c>Predict</c>.</summary>
internal static class OnnxCheck
{
    /// <summary>Largest absolute difference allowed between two probabilities.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// Runs both engines on every batch of <paramref name="inputs"/> the benchmark takes and returns the largest absolute
    /// difference of their probabilities; throws <see cref="InvalidOperationException"/> if it exceeds
    /// <see cref="Tolerance"/> (or is not a number).
    /// </summary>
    public static double Verify(ICompiledNetwork net, OnnxPeer peer, float[] inputs, int batch)
    {
        int n = batch * net.InputSize, calls = inputs.Length / n, outputs = net.OutputSize;
        var expected = new float[batch * outputs];
        double worst = 0;
        for (int call = 0; call < calls; call++)
        {
            ReadOnlySpan<float> x = inputs.AsSpan(call * n, n);
            net.Predict(x, expected, batch);
            x.CopyTo(peer.Input);
            Array.Clear(peer.Output);
            peer.Run();
            for (int i = 0; i < expected.Length; i++)
            {
                double difference = Math.Abs((double)expected[i] - peer.Output[i]);
                if (!(difference <= Tolerance))
                    throw new InvalidOperationException(
                        $"ONNX Runtime and CompiledNets ({net.GetType().Name}) disagree: call {call} (batch {batch}), example {i / outputs}, " +
                        $"class {i % outputs}: Predict {expected[i]}, ONNX Runtime {peer.Output[i]} (tolerance {Tolerance}).");
                worst = Math.Max(worst, difference);
            }
        }
        return worst;
    }

    /// <summary><c>--check-onnx</c>: the reference network and LeNet, both input kinds, batches of 1 and 128; returns the process exit code.</summary>
    public static int Run()
    {
        int status = 0;
        foreach (ICompiledNetwork net in new ICompiledNetwork[] { Data.TrainedReference(), Data.TrainedLeNet() })
        {
            byte[] model = OnnxModel.Build(net);
            foreach (InputKind kind in new[] { InputKind.Images, InputKind.Random })
            {
                float[] inputs = Data.InferenceInputs(kind);
                foreach (int batch in new[] { 1, 128 })
                {
                    using var peer = new OnnxPeer(model, batch, net.InputSize, net.OutputSize);
                    string what = $"{net.GetType().Name}, {kind}, batch {batch}";
                    try
                    {
                        double worst = Verify(net, peer, inputs, batch);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"ONNX Runtime = Predict, {what}: largest difference {worst:E2} over {inputs.Length / net.InputSize / batch * batch} examples (tolerance {Tolerance:E0})"));
                    }
                    catch (InvalidOperationException e)
                    {
                        Console.Error.WriteLine($"FAILED, {what}: {e.Message}");
                        status = 1;
                    }
                }
            }
        }
        return status;
    }
}
