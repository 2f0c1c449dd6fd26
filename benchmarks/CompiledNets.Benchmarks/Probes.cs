using System;
using System.Diagnostics;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// Quick Stopwatch measurements for development, outside BenchmarkDotNet: where the time of an inference goes
/// (<c>--infer</c>: one image, the first layer's product alone, L2 read bandwidth, batches of 128 with 1 and 2 threads)
/// and whole epochs with 1 and 2 threads (<c>--epochs</c>).
/// </summary>
internal static class Probes
{
    public static void Epochs()
    {
        var train = Data.FashionMnist.Train;
        foreach (int threads in new[] { 1, 2, 1, 2 })
        {
            var net = new ReferenceNet(maxBatchSize: 128, seed: 1);
            var trainer = new Trainer<ReferenceNet>(net, new Adam(), batchSize: 128, shuffleSeed: 1, threads: threads);
            trainer.TrainEpoch(train);
            var clock = Stopwatch.StartNew();
            var result = trainer.TrainEpoch(train);
            Console.WriteLine($"epoch, {threads} thread(s): {clock.Elapsed.TotalMilliseconds:F0} ms (trainer says {result.Elapsed.TotalMilliseconds:F0} ms)");
        }
    }

    public static void Inference()
    {
        var test = Data.FashionMnist.Test;
        var net = new ReferenceNet(maxBatchSize: 128, seed: 1);
        new Trainer<ReferenceNet>(net, new Adam(), batchSize: 128, shuffleSeed: 1).TrainEpoch(Data.FashionMnist.Train);
        float[] w1 = net.Parameters.Slice(0, 156800).ToArray(), b1 = net.Parameters.Slice(156800, 200).ToArray();
        var output = new float[200];
        var dropped = new float[200];
        var probabilities = new float[10];
        int next = 0;
        Report("predict, 1 image", () => { int i = next++ % test.Count; net.Predict(test.Image(i), probabilities); });
        Report("layer 1 product", () => { int i = next++ % test.Count; Dense.Forward(output, test.Image(i), w1, b1, 1, 784, 200, Activation.ReLU, dropped, 0.5f); });
        var batchProbabilities = new float[128 * 10];
        foreach (int threads in new[] { 1, 2, 1, 2 })
        {
            net.Threads = threads;
            int nb = 0;
            Report($"predict 128, {threads}T", () => { int i = nb++ % 78; net.Predict(test.Images.AsSpan(i * 128 * 784, 128 * 784), batchProbabilities, 128); });
            var x = test.Images.AsSpan(0, 128 * 784).ToArray();
            var o1 = new float[128 * 200];
            var dr = new float[128 * 200];
            Report($"  layer 1, {threads}T", () => Dense.Forward(o1, x, w1, b1, 128, 784, 200, Activation.ReLU, dr, 0.5f, threads));
        }
        net.Threads = 1;
        Report("sum of W1 (627 KB)", () => System.Numerics.Tensors.TensorPrimitives.Sum(w1));
        Report("sum of half W1", () => System.Numerics.Tensors.TensorPrimitives.Sum(w1.AsSpan(0, 78400)));
        long nonZero = 0;
        for (int i = 0; i < test.Count; i++) foreach (float x in test.Image(i)) if (x != 0) nonZero++;
        Console.WriteLine($"mean nonzero pixels per test image: {nonZero / (double)test.Count:F0}");
    }

    private static void Report(string name, Action action)
    {
        for (int i = 0; i < 20000; i++) action();
        var times = new double[20000];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        Console.WriteLine($"{name,-20} median {times[times.Length / 2]:F2} µs");
    }
}
