using System;
using System.Diagnostics;
using System.Linq;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>-- --conv-kernels</c>: LeNet's image kernels of a train step one at a time, each called over and over on the same
/// batch of 128 Fashion-MNIST images (the buffers a train step of the untrained network leaves), at the process's vector
/// level; the median of 15 blocks of about 40 ms per kernel (<c>--conv-kernels NAME</c>: only the kernels whose names
/// contain NAME, e.g. to count one kernel's cycles with <c>perf stat</c>). A development aid for comparing one build of a kernel with
/// another in the same minute (run them alternately), not a quoted benchmark.
/// </summary>
internal static class ConvProbe
{
    private const int B = 128;

    /// <summary>Times the kernels whose names contain <paramref name="only"/> (all when it is null).</summary>
    public static void Run(string? only)
    {
        s_only = only;
        Console.WriteLine($"kernels: {KernelInfo.Description}");
        var (images, labels, _) = Data.Epoch(B, seed: 3);
        var net = new LeNet(maxBatchSize: B, seed: 1);
        float[] p = net.Parameters.ToArray();
        var tensors = net.ParameterTensors;
        float[] Tensor(string name) => p.AsSpan(tensors.First(t => t.Name == name).Offset, tensors.First(t => t.Name == name).Length).ToArray();
        float[] cw1 = Tensor("conv1.weight"), cb1 = Tensor("conv1.bias"), cw2 = Tensor("conv2.weight"), cb2 = Tensor("conv2.bias");
        var s1 = Conv2DGeometry.Valid(1, 28, 28, 6, 5);
        var s2 = Conv2DGeometry.Valid(6, 12, 12, 16, 5);
        float[] input = images.AsSpan(0, B * 784).ToArray();
        float[] conv1 = new float[B * 3456], pool1 = new float[B * 864], conv2 = new float[B * 1024], pool2 = new float[B * 256];
        float[] dPool2 = new float[B * 256], dConv2 = new float[B * 1024], dPool1 = new float[B * 864], dConv1 = new float[B * 3456];
        float[] gcw1 = new float[150], gcb1 = new float[6], gcw2 = new float[2400], gcb2 = new float[16];
        int[] winners1 = new int[B * 864], winners2 = new int[B * 256];
        var rng = new Random(5);
        // A stand-in for the gradient that reaches pool 2 (dense layers' backward): spatial dropout keeps 4 of 5 channels.
        for (int b = 0; b < B; b++)
            for (int c = 0; c < 16; c++)
            {
                bool kept = rng.NextDouble() < 0.8;
                for (int i = 0; i < 16; i++) dPool2[(b * 16 + c) * 16 + i] = kept ? (float)(rng.NextDouble() - 0.5) * 0.01f : 0f;
            }
        Conv2D.Forward(conv1, input, cw1, cb1, B, s1, Activation.ReLU);
        MaxPool2D.Forward(pool1, winners1, conv1, B, 6, 24, 24, 2, 2, 12, 12);
        Conv2D.Forward(conv2, pool1, cw2, cb2, B, s2, Activation.ReLU);
        MaxPool2D.Forward(pool2, winners2, conv2, B, 16, 8, 8, 2, 2, 4, 4);
        MaxPool2D.BackwardThroughReLU(dConv2, dPool2, winners2, pool2, B, 16, 8, 8, 4, 4);
        Conv2D.BackwardInput(dPool1, dConv2, cw2, B, s2);

        Time("conv1 forward", () => Conv2D.Forward(conv1, input, cw1, cb1, B, s1, Activation.ReLU));
        Time("pool1 forward", () => MaxPool2D.Forward(pool1, winners1, conv1, B, 6, 24, 24, 2, 2, 12, 12));
        Time("conv1 + pool1 (Predict)", () => Conv2D.ForwardMaxPool(pool1, input, cw1, cb1, B, s1, Activation.ReLU, 2, 2));
        Time("conv2 forward", () => Conv2D.Forward(conv2, pool1, cw2, cb2, B, s2, Activation.ReLU));
        Time("pool2 forward", () => MaxPool2D.Forward(pool2, winners2, conv2, B, 16, 8, 8, 2, 2, 4, 4));
        Time("pool2 backward (ReLU)", () => MaxPool2D.BackwardThroughReLU(dConv2, dPool2, winners2, pool2, B, 16, 8, 8, 4, 4));
        Time("conv2 dW", () => Conv2D.BackwardParameters(gcw2, gcb2, dConv2, pool1, B, s2));
        Time("conv2 dIn", () => Conv2D.BackwardInput(dPool1, dConv2, cw2, B, s2));
        Time("conv1 dW (pooled)", () => Conv2D.BackwardParametersThroughMaxPool(gcw1, gcb1, dConv1, dPool1, winners1, pool1, relu: true, input, B, s1, 12, 12));
        _ = labels;
    }

    private static string? s_only;

    private static void Time(string name, Action kernel)
    {
        if (s_only is not null && !name.Contains(s_only, StringComparison.Ordinal)) return;
        for (int i = 0; i < 200; i++) kernel();
        var blocks = new double[15];
        for (int block = 0; block < blocks.Length; block++)
        {
            int calls = 0;
            long start = Stopwatch.GetTimestamp();
            do { kernel(); calls++; } while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 40);
            blocks[block] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
        }
        Array.Sort(blocks);
        Console.WriteLine($"{name,-26} median {blocks[7],8:F1} µs   fastest block {blocks[0],8:F1} µs");
    }
}
