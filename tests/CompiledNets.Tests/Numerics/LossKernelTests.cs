using System;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// The mean squared error kernels and their gradients against double-precision references (softmax cross-entropy:
/// <see cref="SoftmaxCrossEntropyKernelTests"/>).
/// </summary>
public class LossKernelTests
{
    [Fact]
    public void Mean_squared_error_and_its_gradient_equal_double_references()
    {
        // Tolerance: loss 1e-6 relative (summed in double, one float rounding at the end); gradient 1e-6 relative
        // (one float subtraction and one multiplication by 2/count: two roundings of 6e-8).
        const int count = 4 * 3;
        float[] outputs = TestData.Gaussian(count, seed: 34, scale: 2);
        float[] targets = TestData.Gaussian(count, seed: 35);
        double expected = 0;
        for (int i = 0; i < count; i++) expected += ((double)outputs[i] - targets[i]) * ((double)outputs[i] - targets[i]);
        expected /= count;
        float loss = Losses.MeanSquaredError(outputs, targets, count);
        Assert.True(Math.Abs(loss - expected) <= 1e-6 * expected, $"{loss} vs {expected}");

        var d = new float[count];
        Losses.MeanSquaredErrorBackward(d, outputs, targets, count);
        for (int i = 0; i < count; i++)
        {
            double g = 2.0 * ((double)outputs[i] - targets[i]) / count;
            Assert.True(Math.Abs(d[i] - g) <= 1e-6 * Math.Abs(g), $"d[{i}] = {d[i]} vs {g}");
        }
    }
}
