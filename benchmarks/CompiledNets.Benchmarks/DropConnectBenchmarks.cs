using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;
using CompiledNets;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// The reference network (784-200-100-10, ReLU) with DropConnect 0.5 on both hidden Dense layers instead of a
/// Dropout(0.5) after each: each weight dropped per example while training, moment-matching inference.
/// </summary>
[Network(784)]
[Dense(200, Activation.ReLU, DropConnect = 0.5)]
[Dense(100, Activation.ReLU, DropConnect = 0.5)]
[Dense(10)]
public partial class DropConnectReferenceNet;

/// <summary>
/// The cost of DropConnect against plain dropout: one train step (batch 128 of Fashion-MNIST images, Adam, 1 thread) of
/// <see cref="DropConnectReferenceNet"/> against <see cref="ReferenceNet"/> (the same network with Dropout(0.5) after
/// the two hidden layers), the baseline; BenchmarkDotNet's Ratio column is the cost. The target: within 2×.
/// </summary>
[Config(typeof(ShortConfig))]
public class DropConnectTrainStepBenchmarks
{
    private float[] _images = [];
    private int[] _labels = [];
    private int _batches, _next;
    private ReferenceNet _dropout = null!;
    private DropConnectReferenceNet _dropConnect = null!;
    private Adam _dropoutAdam = null!, _dropConnectAdam = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_images, _labels, _batches) = Data.Epoch(128, seed: 1);
        _dropout = new ReferenceNet(maxBatchSize: 128, seed: 1);
        _dropConnect = new DropConnectReferenceNet(maxBatchSize: 128, seed: 1);
        _dropoutAdam = new Adam();
        _dropConnectAdam = new Adam();
    }

    [Benchmark(Baseline = true)]
    public float Dropout() => Step(_dropout, _dropoutAdam);

    [Benchmark]
    public float DropConnect() => Step(_dropConnect, _dropConnectAdam);

    private float Step(IClassifierNetwork net, Adam adam)
    {
        int b = _next++ % _batches, n = 128 * net.InputSize;
        return net.TrainStep(_images.AsSpan(b * n, n), _labels.AsSpan(b * 128, 128), adam);
    }

    /// <summary>
    /// <c>-- --dropconnect [rounds]</c>: the two steps timed with a Stopwatch, interleaved round by round (each round: 50
    /// steps of each, in turn), so that a shared machine's changing load falls on both alike; prints each one's median time
    /// per step and the median over rounds of the per-round ratio, then the DropConnect kernels of the step one by one
    /// (layer 1 on Fashion-MNIST images, layer 2 on ReLU-like inputs with half of them zero) to show where the time goes.
    /// </summary>
    public static void RunInterleaved(int rounds)
    {
        var bench = new DropConnectTrainStepBenchmarks();
        bench.Setup();
        const int Steps = 50, Batch = 128;
        (string Name, Func<float> Step)[] kinds =
        [
            ("Dropout", bench.Dropout), ("DropConnect", bench.DropConnect),
            ("DC Forward", () => bench._dropConnect.Forward(bench._images.AsSpan(0, Batch * 784), Batch, training: true)[0]),
            ("DC Fwd+Bwd", () => { bench._dropConnect.Forward(bench._images.AsSpan(0, Batch * 784), Batch, training: true); bench._dropConnect.Backward(bench._labels.AsSpan(0, Batch)); return 0f; }),
        ];
        foreach (var kind in kinds) for (int i = 0; i < 4 * Steps; i++) kind.Step(); // warm-up (tiered JIT)
        var times = new double[kinds.Length][];
        var cpu = new double[kinds.Length][];
        for (int k = 0; k < kinds.Length; k++) (times[k], cpu[k]) = (new double[rounds], new double[rounds]);
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < kinds.Length; k++)
            {
                double cpuStart = ThreadCpuMicroseconds();
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < Steps; i++) kinds[k].Step();
                times[k][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000 / Steps;
                cpu[k][r] = (ThreadCpuMicroseconds() - cpuStart) / Steps;
            }
        Console.WriteLine($"{rounds} rounds of {Steps} steps each, batch {Batch}, 1 thread, level {Kernels.Simd.Level}");
        // The thread's CPU time leaves out the time other processes had the core (it still pays for what they do to the caches).
        for (int k = 0; k < kinds.Length; k++)
        {
            double ratio = Median(times[k].Select((t, r) => t / times[0][r]).ToArray());
            double cpuRatio = Median(cpu[k].Select((t, r) => t / cpu[0][r]).ToArray());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kinds[k].Name,-12} median {Median(times[k]),8:F1} us/step wall, ratio to Dropout {ratio:F3}; {Median(cpu[k]),8:F1} us/step thread CPU, ratio {cpuRatio:F3}"));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Steps; i++) bench.DropConnect();
        Console.WriteLine($"DropConnect step allocated {(GC.GetAllocatedBytesForCurrentThread() - allocated) / Steps} bytes per step");

        // The kernels alone, with the step's shapes.
        var images = bench._images.AsSpan(0, Batch * 784).ToArray();
        var rng = new Randomness.SplitMix64(7);
        float[] w1 = Enumerable.Range(0, 784 * 200).Select(_ => (float)(rng.NextGaussian() * 0.05)).ToArray();
        float[] w2 = Enumerable.Range(0, 200 * 100).Select(_ => (float)(rng.NextGaussian() * 0.1)).ToArray();
        float[] h1 = Enumerable.Range(0, Batch * 200).Select(_ => Math.Max(0f, (float)rng.NextGaussian())).ToArray();
        float[] y1 = new float[Batch * 200], y2 = new float[Batch * 100], b1 = new float[200], b2 = new float[100];
        float[] dy1 = Enumerable.Range(0, Batch * 200).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] dy2 = Enumerable.Range(0, Batch * 100).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] dw1 = new float[784 * 200], dw2 = new float[200 * 100], dx2 = new float[Batch * 200];
        (string Name, Action Run)[] kernels =
        [
            ("layer 1 forward", () => Kernels.DropConnect.Forward(y1, images, w1, b1, Batch, 784, 200, Activation.ReLU, 0.5f, 11, 1, true)),
            ("layer 1 backward (dW)", () => Kernels.DropConnect.Backward(dw1, b1, default, dy1, images, w1, Batch, 784, 200, 0.5f, 11)),
            ("layer 2 forward", () => Kernels.DropConnect.Forward(y2, h1, w2, b2, Batch, 200, 100, Activation.ReLU, 0.5f, 12, 1, true)),
            ("layer 2 backward (dW, dx)", () => Kernels.DropConnect.Backward(dw2, b2, dx2, dy2, h1, w2, Batch, 200, 100, 0.5f, 12)),
            ("layer 1 dense forward (no masks)", () => Kernels.Dense.Forward(y1, images, w1, b1, Batch, 784, 200, Activation.ReLU, 1, true)),
            ("layer 1 forward p=0.7", () => Kernels.DropConnect.Forward(y1, images, w1, b1, Batch, 784, 200, Activation.ReLU, 0.7f, 11, 1, true)),
        ];
        if (Environment.GetEnvironmentVariable("DROPCONNECT_KERNEL") is { Length: > 0 } only)
        {
            // A profiling aid: one kernel alone, DROPCONNECT_CALLS times (default: for 3 seconds), for perf record or perf stat
            // (the difference of two call counts' cycles is the kernel's, whatever else shares the machine).
            var kernel = kernels[int.Parse(only, CultureInfo.InvariantCulture)];
            if (int.TryParse(Environment.GetEnvironmentVariable("DROPCONNECT_CALLS"), out int calls))
                for (int i = 0; i < calls; i++) kernel.Run();
            else
                for (long until = Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency; Stopwatch.GetTimestamp() < until;) kernel.Run();
            return;
        }
        var kernelTimes = new double[kernels.Length][];
        var fastest = new double[kernels.Length];
        for (int k = 0; k < kernels.Length; k++) { kernelTimes[k] = new double[rounds]; fastest[k] = double.MaxValue; for (int i = 0; i < 4 * Steps; i++) kernels[k].Run(); }
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < kernels.Length; k++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < Steps; i++)
                {
                    long call = Stopwatch.GetTimestamp();
                    kernels[k].Run();
                    fastest[k] = Math.Min(fastest[k], Stopwatch.GetElapsedTime(call).TotalMilliseconds * 1000);
                }
                kernelTimes[k][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000 / Steps;
            }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"layer 1 input zeros: {images.Count(v => v == 0f) / (double)images.Length:P1}"));
        for (int k = 0; k < kernels.Length; k++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kernels[k].Name,-28} median {Median(kernelTimes[k]),8:F1} us, fastest call {fastest[k],8:F1} us (the least disturbed)"));
    }

    /// <summary>This thread's user + system CPU time (Linux <c>getrusage(RUSAGE_THREAD)</c>; elsewhere the process's).</summary>
    private static double ThreadCpuMicroseconds()
    {
        if (!OperatingSystem.IsLinux()) return Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds * 1000;
        getrusage(1, out RUsage usage);
        return (usage.UserSeconds + usage.SystemSeconds) * 1e6 + usage.UserMicroseconds + usage.SystemMicroseconds;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, Ixrss, Idrss, Isrss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVcsw, NIvcsw;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int getrusage(int who, out RUsage usage);

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
