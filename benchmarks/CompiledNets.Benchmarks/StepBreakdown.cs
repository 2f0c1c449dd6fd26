using System;
using System.Diagnostics;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// A train step of the reference network written out kernel by kernel (as the generated code calls them), each call
/// timed, over consecutive batches of the training set: where the time of a whole step goes (<c>--steps [threads]</c>).
/// </summary>
internal static class StepBreakdown
{
    public static void Run(int threads)
    {
        const int B = 128;
        var (images, labels, batches) = Data.Epoch(B, seed: 3);
        var net = new ReferenceNet(maxBatchSize: B, seed: 1);
        float[] p = net.Parameters.ToArray();
        float[] g = new float[p.Length];
        var adam = new Adam();
        float[] input = new float[B * 784], d1 = new float[B * 200], m1 = new float[B * 200], o1 = new float[B * 200];
        float[] d2 = new float[B * 100], m2 = new float[B * 100], o2 = new float[B * 100], d3 = new float[B * 10];
        float[] dd1 = new float[B * 200], dd2 = new float[B * 100], dd3 = new float[B * 10];
        var masks = Dropout.CreateMaskStream(1);
        string[] names = ["copy inputs", "mask 1", "L1 forward", "mask 2", "L2 forward", "L3 forward", "loss", "loss backward",
            "L3 dW", "L3 dIn", "L2 dW", "L2 dIn", "L1 dW", "adam"];
        var total = new double[names.Length];
        int steps = 3000, warm = 500;
        var t = new long[names.Length + 1];
        for (int step = 0; step < steps; step++)
        {
            int b = step % batches;
            ReadOnlySpan<float> x = images.AsSpan(b * B * 784, B * 784);
            ReadOnlySpan<int> y = labels.AsSpan(b * B, B);
            Span<float> W1 = p.AsSpan(0, 156800), B1 = p.AsSpan(156800, 200), W2 = p.AsSpan(157000, 20000), B2 = p.AsSpan(177000, 100);
            Span<float> W3 = p.AsSpan(177100, 1000), B3 = p.AsSpan(178100, 10);
            Span<float> gW1 = g.AsSpan(0, 156800), gB1 = g.AsSpan(156800, 200), gW2 = g.AsSpan(157000, 20000), gB2 = g.AsSpan(177000, 100);
            Span<float> gW3 = g.AsSpan(177100, 1000), gB3 = g.AsSpan(178100, 10);
            int k = 0;
            t[k++] = Stopwatch.GetTimestamp();
            x.CopyTo(input); t[k++] = Stopwatch.GetTimestamp();
            Dropout.SampleMask(m1, 0.5f, 1f, ref masks); t[k++] = Stopwatch.GetTimestamp();
            Dense.Forward(d1, input, W1, B1, B, 784, 200, Activation.ReLU, o1, m1, threads); t[k++] = Stopwatch.GetTimestamp();
            Dropout.SampleMask(m2, 0.5f, 1f, ref masks); t[k++] = Stopwatch.GetTimestamp();
            Dense.Forward(d2, o1, W2, B2, B, 200, 100, Activation.ReLU, o2, m2, threads); t[k++] = Stopwatch.GetTimestamp();
            Dense.Forward(d3, o2, W3, B3, B, 100, 10, Activation.None, threads); t[k++] = Stopwatch.GetTimestamp();
            SoftmaxCrossEntropy.Loss(d3, y, B, 10); t[k++] = Stopwatch.GetTimestamp();
            SoftmaxCrossEntropy.Backward(dd3, d3, y, B, 10); t[k++] = Stopwatch.GetTimestamp();
            Dense.BackwardParameters(gW3, gB3, dd3, o2, B, 100, 10, threads); t[k++] = Stopwatch.GetTimestamp();
            Dense.BackwardInput(dd2, dd3, W3, B, 100, 10, Activation.ReLU, d2, m2, threads); t[k++] = Stopwatch.GetTimestamp();
            Dense.BackwardParameters(gW2, gB2, dd2, o1, B, 200, 100, threads); t[k++] = Stopwatch.GetTimestamp();
            Dense.BackwardInput(dd1, dd2, W2, B, 200, 100, Activation.ReLU, d1, m1, threads); t[k++] = Stopwatch.GetTimestamp();
            Dense.BackwardParameters(gW1, gB1, dd1, input, B, 784, 200, threads); t[k++] = Stopwatch.GetTimestamp();
            OptimizerStep.Run(adam, p, g, threads, net.ParameterTensors); t[k++] = Stopwatch.GetTimestamp();
            if (step >= warm)
                for (int i = 0; i < names.Length; i++) total[i] += t[i + 1] - t[i];
        }
        double sum = 0;
        double perStep = 1e6 / Stopwatch.Frequency / (steps - warm);
        for (int i = 0; i < names.Length; i++)
        {
            Console.WriteLine($"{names[i],-16} {total[i] * perStep,8:F1} µs");
            sum += total[i] * perStep;
        }
        Console.WriteLine($"{"step",-16} {sum,8:F1} µs (mean, {threads} thread(s))");
    }
}
