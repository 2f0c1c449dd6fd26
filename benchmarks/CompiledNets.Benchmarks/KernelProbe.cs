using System;
using System.Diagnostics;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>-- --kernels</c>: the matrix products alone, at the process's vector level, with a Stopwatch (median of 9 blocks
/// of 60 ms after a warm-up): GFLOP/s of the non-zero terms for the shapes of the reference network and the wide
/// 784-1024-1024-10 network, on Fashion-MNIST images, half-sparse hidden layers and dense random values. A development
/// aid for choosing tiles (compare one build against another in the same minute), not a quoted benchmark.
/// </summary>
internal static class KernelProbe
{
    public static void Run()
    {
        Console.WriteLine($"kernels: {KernelInfo.Description}");
        float[] images = Data.FashionMnist.Train.Images;
        Time("forward L1, images, batch 128", 128, 200, 784, false, GemmFinish.Forward, 0, images);
        Time("weight gradient L1, images", 784, 200, 128, true, GemmFinish.None, 0, images);
        Time("forward L2, 50% zeros, batch 128", 128, 100, 200, false, GemmFinish.Forward, 0.5);
        Time("input gradient L2, 50% zeros", 128, 200, 100, false, GemmFinish.BackwardInput, 0.5);
        Time("weight gradient L2, 50% zeros", 200, 100, 128, true, GemmFinish.None, 0.5);
        Time("forward L1, dense, batch 128", 128, 200, 784, false, GemmFinish.Forward, 0);
        Time("forward L1, dense, batch 1", 1, 200, 784, false, GemmFinish.Forward, 0);
        Time("forward 1024, dense, batch 128", 128, 1024, 1024, false, GemmFinish.Forward, 0);
        Time("forward 1024, dense, batch 1", 1, 1024, 1024, false, GemmFinish.Forward, 0);
        Time("weight gradient L1, dense", 784, 200, 128, true, GemmFinish.None, 0);
        Time("weight gradient 1024, dense", 1024, 1024, 128, true, GemmFinish.None, 0);
        Time("input gradient L2, dense", 128, 200, 100, false, GemmFinish.BackwardInput, 0);
    }

    private static void Time(string name, int m, int n, int k, bool transposed, GemmFinish finish, double zeros, float[]? source = null)
    {
        var rng = new Random(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n], bias = new float[n], y = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() < zeros ? 0 : (float)rng.NextDouble();
        if (source is not null) Array.Copy(source, a, a.Length);
        long nonZero = 0;
        foreach (float v in a) if (v != 0) nonZero++;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextDouble();
        Activation activation = finish == GemmFinish.None ? Activation.None : Activation.ReLU;
        void Product() => Gemm.Multiply(Simd.Level, 1, c, a, transposed, b, m, n, k, true, finish, activation, bias, default, default, y, 1f);
        for (int i = 0; i < 20; i++) Product();
        var times = new double[9];
        for (int r = 0; r < times.Length; r++)
        {
            int reps = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalMilliseconds < 60) { Product(); reps++; }
            times[r] = clock.Elapsed.TotalMilliseconds * 1000 / reps;
        }
        Array.Sort(times);
        double us = times[times.Length / 2];
        // Non-zero terms: each non-zero A value meets a whole row of B (N multiply-adds).
        double gflops = 2.0 * nonZero * n / us / 1000;
        Console.WriteLine($"{name,-36} {m,5} x {n,4} x {k,4} {us,10:F1} µs {gflops,7:F1} GFLOP/s");
    }
}
