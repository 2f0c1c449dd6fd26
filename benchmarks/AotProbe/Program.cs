using System;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>aot-probe [seconds per benchmark]</c>: the reference network's train step (batch 128, Adam, training batches of
/// Fashion-MNIST in turn) and inference (<c>Predict</c> of 1 and of 128 test images in turn), one thread, each timed as
/// the median over 15 blocks of the mean time of an operation in the block, after a warm-up; prints one JSON object.
/// Published with NativeAOT and with the JIT by benchmarks/run.sh, which prints the ratio.
/// </summary>
internal static class Program
{
    private const int Blocks = 15;

    private static int Main(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.5;
        string directory = Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") is { Length: > 0 } d ? d : "/usr/share/datasets/fashion-mnist";
        MnistData data = Mnist.Load(directory);
        Dataset train = data.Train, test = data.Test;

        var net = new ReferenceNet(maxBatchSize: 128, seed: 1);
        var adam = new Adam();
        int batches = train.Count / 128, step = 0;
        float[] trainImages = train.Images;
        int[] trainLabels = train.Labels;
        double trainStep = Time(seconds, () =>
        {
            int b = step++ % batches;
            net.TrainStep(trainImages.AsSpan(b * 128 * 784, 128 * 784), trainLabels.AsSpan(b * 128, 128), adam);
        });

        var probabilities = new float[128 * ReferenceNet.OutputSize];
        float[] testImages = test.Images;
        int next = 0;
        double infer1 = Time(seconds, () =>
        {
            int i = next++ % test.Count;
            net.Predict(testImages.AsSpan(i * 784, 784), probabilities.AsSpan(0, ReferenceNet.OutputSize));
        });
        int batchesTest = test.Count / 128;
        next = 0;
        double infer128 = Time(seconds, () =>
        {
            int i = next++ % batchesTest;
            net.Predict(testImages.AsSpan(i * 128 * 784, 128 * 784), probabilities, 128);
        });

        FormattableString json = $$"""
            {"mode": "{{(RuntimeFeature.IsDynamicCodeSupported ? "jit" : "aot")}}", "simd_level": "{{KernelLevel()}}", "vector512": {{Bool(Vector512.IsHardwareAccelerated)}}, "vector256": {{Bool(Vector256.IsHardwareAccelerated)}}, "vector128": {{Bool(Vector128.IsHardwareAccelerated)}}, "train_step_us": {{trainStep:F2}}, "infer_1_us": {{infer1:F3}}, "infer_128_us": {{infer128:F2}}}
            """;
        Console.WriteLine(json.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary><c>CompiledNets.Kernels.Simd.Level</c> (internal), by reflection on the field's name.</summary>
    private static string KernelLevel() =>
        Type.GetType("CompiledNets.Kernels.Simd, CompiledNets")
            ?.GetField("Level", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?.GetValue(null)?.ToString() ?? "unknown";

    /// <summary>
    /// Microseconds per call: warm-up for a third of <paramref name="seconds"/> (past the JIT's tiering), then
    /// <see cref="Blocks"/> blocks sized to about <paramref name="seconds"/> / <see cref="Blocks"/> each; the median block mean.
    /// </summary>
    private static double Time(double seconds, Action operation)
    {
        var clock = Stopwatch.StartNew();
        long calls = 0;
        while (clock.Elapsed.TotalSeconds < seconds / 3) { operation(); calls++; }
        long perBlock = Math.Max(1, (long)(calls / (seconds / 3) * seconds / Blocks));
        var means = new double[Blocks];
        for (int block = 0; block < Blocks; block++)
        {
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < perBlock; i++) operation();
            means[block] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / perBlock;
        }
        Array.Sort(means);
        return means[Blocks / 2];
    }
}
