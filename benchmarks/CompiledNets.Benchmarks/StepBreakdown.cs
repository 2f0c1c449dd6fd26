using System;
using System.Diagnostics;
using System.Linq;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// A train step written out kernel by kernel (as the generated code calls them), each call timed, over consecutive
/// batches of the training set: where the time of a whole step goes. <c>--steps [threads]</c>: the reference network;
/// <c>--steps-lenet [threads]</c>: LeNet, followed by the generated <c>TrainStep</c> timed over as many batches.
/// </summary>
internal static class StepBreakdown
{
    private const int B = 128, Steps = 3000, Warm = 500;

    public static void Run(int threads)
    {
        var (images, labels, batches) = Data.Epoch(B, seed: 3);
        var net = new ReferenceNet(maxBatchSize: B, seed: 1);
        float[] p = net.Parameters.ToArray();
        float[] g = new float[p.Length];
        var adam = new Adam();
        float[] input = new float[B * 784], d1 = new float[B * 200], m1 = new float[B * 200], o1 = new float[B * 200];
        float[] d2 = new float[B * 100], m2 = new float[B * 100], o2 = new float[B * 100], d3 = new float[B * 10];
        float[] dd1 = new float[B * 200], dd2 = new float[B * 100], dd3 = new float[B * 10];
        var masks = Dropout.CreateMaskStream(1);
        var clock = new StepClock("copy inputs", "mask 1", "L1 forward", "mask 2", "L2 forward", "L3 forward", "loss", "loss backward",
            "L3 dW", "L3 dIn", "L2 dW", "L2 dIn", "L1 dW", "adam");
        for (int step = 0; step < Steps; step++)
        {
            int b = step % batches;
            ReadOnlySpan<float> x = images.AsSpan(b * B * 784, B * 784);
            ReadOnlySpan<int> y = labels.AsSpan(b * B, B);
            Span<float> W1 = p.AsSpan(0, 156800), B1 = p.AsSpan(156800, 200), W2 = p.AsSpan(157000, 20000), B2 = p.AsSpan(177000, 100);
            Span<float> W3 = p.AsSpan(177100, 1000), B3 = p.AsSpan(178100, 10);
            Span<float> gW1 = g.AsSpan(0, 156800), gB1 = g.AsSpan(156800, 200), gW2 = g.AsSpan(157000, 20000), gB2 = g.AsSpan(177000, 100);
            Span<float> gW3 = g.AsSpan(177100, 1000), gB3 = g.AsSpan(178100, 10);
            clock.Start(counting: step >= Warm);
            x.CopyTo(input); clock.Mark();
            Dropout.SampleMask(m1, 0.5f, 1f, ref masks); clock.Mark();
            Dense.Forward(d1, input, W1, B1, B, 784, 200, Activation.ReLU, o1, m1, threads); clock.Mark();
            Dropout.SampleMask(m2, 0.5f, 1f, ref masks); clock.Mark();
            Dense.Forward(d2, o1, W2, B2, B, 200, 100, Activation.ReLU, o2, m2, threads); clock.Mark();
            Dense.Forward(d3, o2, W3, B3, B, 100, 10, Activation.None, threads); clock.Mark();
            SoftmaxCrossEntropy.Loss(d3, y, B, 10); clock.Mark();
            SoftmaxCrossEntropy.Backward(dd3, d3, y, B, 10); clock.Mark();
            Dense.BackwardParameters(gW3, gB3, dd3, o2, B, 100, 10, threads); clock.Mark();
            Dense.BackwardInput(dd2, dd3, W3, B, 100, 10, Activation.ReLU, d2, m2, threads); clock.Mark();
            Dense.BackwardParameters(gW2, gB2, dd2, o1, B, 200, 100, threads); clock.Mark();
            Dense.BackwardInput(dd1, dd2, W2, B, 200, 100, Activation.ReLU, d1, m1, threads); clock.Mark();
            Dense.BackwardParameters(gW1, gB1, dd1, input, B, 784, 200, threads); clock.Mark();
            OptimizerStep.Run(adam, p, g, threads, net.ParameterTensors); clock.Mark();
        }
        clock.Print(Steps - Warm, threads);
    }

    /// <summary>
    /// LeNet's step in the order of its generated code: the finite check of the parameters (after each optimizer step),
    /// the layers forward with their masks, the loss, the layers backward, Adam.
    /// </summary>
    public static void RunLeNet(int threads)
    {
        var (images, labels, batches) = Data.Epoch(B, seed: 3);
        var net = new LeNet(maxBatchSize: B, seed: 1) { Threads = threads };
        float[] p = net.Parameters.ToArray();
        float[] g = new float[p.Length];
        var adam = new Adam();
        var tensors = net.ParameterTensors;
        int Offset(string name) => tensors.First(t => t.Name == name).Offset;
        var s1 = Conv2DGeometry.Valid(1, 28, 28, 6, 5);
        var s2 = Conv2DGeometry.Valid(6, 12, 12, 16, 5);
        float[] input = new float[B * 784], conv1 = new float[B * 3456], pool1 = new float[B * 864], conv2 = new float[B * 1024];
        float[] pool2 = new float[B * 256], spatialMask = new float[B * 16], spatial = new float[B * 256];
        float[] d1 = new float[B * 120], m1 = new float[B * 120], o1 = new float[B * 120];
        float[] d2 = new float[B * 84], m2 = new float[B * 84], o2 = new float[B * 84], d3 = new float[B * 10];
        float[] dd3 = new float[B * 10], dd2 = new float[B * 84], dd1 = new float[B * 120], dSpatial = new float[B * 256];
        float[] dPool2 = new float[B * 256], dConv2 = new float[B * 1024], dPool1 = new float[B * 864], dConv1 = new float[B * 3456];
        int[] winners1 = new int[B * 864], winners2 = new int[B * 256];
        var masks = Dropout.CreateMaskStream(1);
        var clock = new StepClock("copy inputs + finite check", "conv1 forward", "pool1 forward", "conv2 forward", "pool2 forward",
            "spatial dropout", "masks 1+2", "dense1 forward", "dense2 forward", "dense3 forward", "loss + loss backward",
            "dense3 dW + dIn", "dense2 dW", "dense2 dIn", "dense1 dW", "dense1 dIn", "spatial dropout backward",
            "pool2 + conv2 ReLU backward", "conv2 dW", "conv2 dIn", "conv1 dW from pool1's gradient", "adam");
        for (int step = 0; step < Steps; step++)
        {
            int b = step % batches;
            ReadOnlySpan<float> x = images.AsSpan(b * B * 784, B * 784);
            ReadOnlySpan<int> y = labels.AsSpan(b * B, B);
            Span<float> cw1 = p.AsSpan(Offset("conv1.weight"), 150), cb1 = p.AsSpan(Offset("conv1.bias"), 6);
            Span<float> cw2 = p.AsSpan(Offset("conv2.weight"), 2400), cb2 = p.AsSpan(Offset("conv2.bias"), 16);
            Span<float> w1 = p.AsSpan(Offset("dense1.weight"), 256 * 120), b1 = p.AsSpan(Offset("dense1.bias"), 120);
            Span<float> w2 = p.AsSpan(Offset("dense2.weight"), 120 * 84), b2 = p.AsSpan(Offset("dense2.bias"), 84);
            Span<float> w3 = p.AsSpan(Offset("dense3.weight"), 84 * 10), b3 = p.AsSpan(Offset("dense3.bias"), 10);
            Span<float> gcw1 = g.AsSpan(Offset("conv1.weight"), 150), gcb1 = g.AsSpan(Offset("conv1.bias"), 6);
            Span<float> gcw2 = g.AsSpan(Offset("conv2.weight"), 2400), gcb2 = g.AsSpan(Offset("conv2.bias"), 16);
            Span<float> gw1 = g.AsSpan(Offset("dense1.weight"), 256 * 120), gb1 = g.AsSpan(Offset("dense1.bias"), 120);
            Span<float> gw2 = g.AsSpan(Offset("dense2.weight"), 120 * 84), gb2 = g.AsSpan(Offset("dense2.bias"), 84);
            Span<float> gw3 = g.AsSpan(Offset("dense3.weight"), 84 * 10), gb3 = g.AsSpan(Offset("dense3.bias"), 10);
            clock.Start(counting: step >= Warm);
            bool finite = Checks.AllFinite(p);
            x.CopyTo(input); clock.Mark();
            Conv2D.Forward(conv1, input, cw1, cb1, B, s1, Activation.ReLU, threads); clock.Mark();
            MaxPool2D.Forward(pool1, winners1, conv1, B, 6, 24, 24, 2, 2, 12, 12); clock.Mark();
            Conv2D.Forward(conv2, pool1, cw2, cb2, B, s2, Activation.ReLU, threads); clock.Mark();
            MaxPool2D.Forward(pool2, winners2, conv2, B, 16, 8, 8, 2, 2, 4, 4); clock.Mark();
            Dropout.SampleMask(spatialMask, 0.8f, 1f, ref masks);
            SpatialDropout.Apply(spatial, pool2, spatialMask, B, 16, 16); clock.Mark();
            Dropout.SampleMask(m1, 0.5f, 1f, ref masks);
            Dropout.SampleMask(m2, 0.5f, 1f, ref masks); clock.Mark();
            Dense.Forward(d1, spatial, w1, b1, B, 256, 120, Activation.ReLU, o1, m1, threads, finite); clock.Mark();
            Dense.Forward(d2, o1, w2, b2, B, 120, 84, Activation.ReLU, o2, m2, threads, finite); clock.Mark();
            Dense.Forward(d3, o2, w3, b3, B, 84, 10, Activation.None, threads, finite); clock.Mark();
            SoftmaxCrossEntropy.Loss(d3, y, B, 10);
            SoftmaxCrossEntropy.Backward(dd3, d3, y, B, 10); clock.Mark();
            Dense.BackwardParameters(gw3, gb3, dd3, o2, B, 84, 10, threads);
            Dense.BackwardInput(dd2, dd3, w3, B, 84, 10, Activation.ReLU, d2, m2, threads, finite); clock.Mark();
            Dense.BackwardParameters(gw2, gb2, dd2, o1, B, 120, 84, threads); clock.Mark();
            Dense.BackwardInput(dd1, dd2, w2, B, 120, 84, Activation.ReLU, d1, m1, threads, finite); clock.Mark();
            Dense.BackwardParameters(gw1, gb1, dd1, spatial, B, 256, 120, threads); clock.Mark();
            Dense.BackwardInput(dSpatial, dd1, w1, B, 256, 120, threads: threads, weightsFinite: finite); clock.Mark();
            SpatialDropout.Apply(dPool2, dSpatial, spatialMask, B, 16, 16); clock.Mark();
            MaxPool2D.BackwardThroughReLU(dConv2, dPool2, winners2, pool2, B, 16, 8, 8, 4, 4); clock.Mark();
            Conv2D.BackwardParameters(gcw2, gcb2, dConv2, pool1, B, s2, threads); clock.Mark();
            Conv2D.BackwardInput(dPool1, dConv2, cw2, B, s2, threads); clock.Mark();
            Conv2D.BackwardParametersThroughMaxPool(gcw1, gcb1, dConv1, dPool1, winners1, pool1, relu: true, input, B, s1, 12, 12, threads); clock.Mark();
            OptimizerStep.Run(adam, p, g, threads, tensors); clock.Mark();
        }
        clock.Print(Steps - Warm, threads);

        var generated = new StepClock("LeNet.TrainStep (generated)");
        var adam2 = new Adam();
        for (int step = 0; step < Steps; step++)
        {
            int b = step % batches;
            generated.Start(counting: step >= Warm);
            net.TrainStep(images.AsSpan(b * B * 784, B * 784), labels.AsSpan(b * B, B), adam2); generated.Mark();
        }
        generated.Print(Steps - Warm, threads);
    }

    /// <summary>
    /// <c>--infer-lenet</c>: inference of 128 test images by the trained LeNet (as <see cref="LeNetInferenceBenchmarks"/>
    /// runs it), kernel by kernel in the order of the generated inference pass, then the generated <c>Predict</c> alone.
    /// </summary>
    public static void InferLeNet()
    {
        LeNet net = Data.TrainedLeNet();
        float[] images = Data.InferenceInputs(InputKind.Images);
        int batches = images.Length / 784 / B;
        float[] p = net.Parameters.ToArray();
        var tensors = net.ParameterTensors;
        int Offset(string name) => tensors.First(t => t.Name == name).Offset;
        var s1 = Conv2DGeometry.Valid(1, 28, 28, 6, 5);
        var s2 = Conv2DGeometry.Valid(6, 12, 12, 16, 5);
        float[] input = new float[B * 784], conv1 = new float[B * 3456], pool1 = new float[B * 864], conv2 = new float[B * 1024];
        float[] pool2 = new float[B * 256], scaled = new float[B * 256];
        float[] d1 = new float[B * 120], o1 = new float[B * 120], d2 = new float[B * 84], o2 = new float[B * 84], d3 = new float[B * 10];
        float[] probabilities = new float[B * 10];
        int[] winners1 = new int[B * 864], winners2 = new int[B * 256];
        ReadOnlySpan<float> cw1 = p.AsSpan(Offset("conv1.weight"), 150), cb1 = p.AsSpan(Offset("conv1.bias"), 6);
        ReadOnlySpan<float> cw2 = p.AsSpan(Offset("conv2.weight"), 2400), cb2 = p.AsSpan(Offset("conv2.bias"), 16);
        ReadOnlySpan<float> w1 = p.AsSpan(Offset("dense1.weight"), 256 * 120), b1 = p.AsSpan(Offset("dense1.bias"), 120);
        ReadOnlySpan<float> w2 = p.AsSpan(Offset("dense2.weight"), 120 * 84), b2 = p.AsSpan(Offset("dense2.bias"), 84);
        ReadOnlySpan<float> w3 = p.AsSpan(Offset("dense3.weight"), 84 * 10), b3 = p.AsSpan(Offset("dense3.bias"), 10);
        var clock = new StepClock("copy inputs", "conv1 forward", "pool1 forward", "conv2 forward", "pool2 forward",
            "spatial dropout scale", "dense1 forward", "dense2 forward", "dense3 forward", "softmax");
        for (int step = 0; step < Steps; step++)
        {
            ReadOnlySpan<float> x = images.AsSpan(step % batches * B * 784, B * 784);
            clock.Start(counting: step >= Warm);
            x.CopyTo(input); clock.Mark();
            Conv2D.Forward(conv1, input, cw1, cb1, B, s1, Activation.ReLU); clock.Mark();
            MaxPool2D.Forward(pool1, winners1, conv1, B, 6, 24, 24, 2, 2, 12, 12); clock.Mark();
            Conv2D.Forward(conv2, pool1, cw2, cb2, B, s2, Activation.ReLU); clock.Mark();
            MaxPool2D.Forward(pool2, winners2, conv2, B, 16, 8, 8, 2, 2, 4, 4); clock.Mark();
            System.Numerics.Tensors.TensorPrimitives.Multiply(pool2, 0.8f, scaled); clock.Mark();
            Dense.Forward(d1, scaled, w1, b1, B, 256, 120, Activation.ReLU, dropped: o1, scale: 0.5f); clock.Mark();
            Dense.Forward(d2, o1, w2, b2, B, 120, 84, Activation.ReLU, dropped: o2, scale: 0.5f); clock.Mark();
            Dense.Forward(d3, o2, w3, b3, B, 84, 10, Activation.None); clock.Mark();
            Losses.Softmax(d3, probabilities, B, 10); clock.Mark();
        }
        clock.Print(Steps - Warm, threads: 1);

        var fused = new StepClock("copy inputs", "conv1 + pool1 (fused)", "conv2 + pool2 (fused)", "spatial dropout scale",
            "dense1 forward", "dense2 forward", "dense3 forward", "softmax");
        for (int step = 0; step < Steps; step++)
        {
            ReadOnlySpan<float> x = images.AsSpan(step % batches * B * 784, B * 784);
            fused.Start(counting: step >= Warm);
            x.CopyTo(input); fused.Mark();
            Conv2D.ForwardMaxPool(pool1, input, cw1, cb1, B, s1, Activation.ReLU, 2, 2); fused.Mark();
            Conv2D.ForwardMaxPool(pool2, pool1, cw2, cb2, B, s2, Activation.ReLU, 2, 2); fused.Mark();
            System.Numerics.Tensors.TensorPrimitives.Multiply(pool2, 0.8f, scaled); fused.Mark();
            Dense.Forward(d1, scaled, w1, b1, B, 256, 120, Activation.ReLU, dropped: o1, scale: 0.5f); fused.Mark();
            Dense.Forward(d2, o1, w2, b2, B, 120, 84, Activation.ReLU, dropped: o2, scale: 0.5f); fused.Mark();
            Dense.Forward(d3, o2, w3, b3, B, 84, 10, Activation.None); fused.Mark();
            Losses.Softmax(d3, probabilities, B, 10); fused.Mark();
        }
        fused.Print(Steps - Warm, threads: 1);

        var generated = new StepClock("LeNet.Predict (generated)");
        for (int step = 0; step < Steps; step++)
        {
            generated.Start(counting: step >= Warm);
            net.Predict(images.AsSpan(step % batches * B * 784, B * 784), probabilities, B); generated.Mark();
        }
        generated.Print(Steps - Warm, threads: 1);
    }

    /// <summary>Sums the time between consecutive marks of each step, by position, over the counted steps.</summary>
    private sealed class StepClock(params string[] names)
    {
        private readonly long[] _total = new long[names.Length];
        private readonly long[] _fastest = Enumerable.Repeat(long.MaxValue, names.Length).ToArray();
        private long _last;
        private int _next;
        private bool _counting;

        public void Start(bool counting)
        {
            (_next, _counting) = (0, counting);
            _last = Stopwatch.GetTimestamp();
        }

        public void Mark()
        {
            long now = Stopwatch.GetTimestamp();
            if (_counting)
            {
                _total[_next] += now - _last;
                _fastest[_next] = Math.Min(_fastest[_next], now - _last);
            }
            _next++;
            _last = now;
        }

        public void Print(int steps, int threads)
        {
            double perStep = 1e6 / Stopwatch.Frequency / steps, sum = _total.Sum() * perStep;
            double tick = 1e6 / Stopwatch.Frequency;
            for (int i = 0; i < names.Length; i++)
                Console.WriteLine($"{names[i],-28} {_total[i] * perStep,8:F1} µs {100 * _total[i] * perStep / sum,5:F1}%   fastest {_fastest[i] * tick,8:F1} µs");
            Console.WriteLine($"{"step",-28} {sum,8:F1} µs (mean over {steps} steps, {threads} thread(s))");
        }
    }
}
