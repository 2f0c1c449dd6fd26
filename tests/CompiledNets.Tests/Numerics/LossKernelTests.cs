using System;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.Numerics;

/// <summary>The loss kernels and their gradients against double-precision references.</summary>
public class LossKernelTests
{
    private const int Batch = 5, Classes = 7;

    [Fact]
    public void Softmax_cross_entropy_equals_a_double_reference()
    {
        // Tolerance 1e-6 · (1 + |L|): the kernel sums in double, but subtracts the row max in float (relative error
        // 6e-8 of logits up to ~10 here) and returns a float (6e-8 relative), so a few 1e-7 at most.
        float[] logits = TestData.Gaussian(Batch * Classes, seed: 30, scale: 3);
        int[] labels = TestData.Labels(Batch, Classes, seed: 31);
        double expected = DoubleReference.CrossEntropy(logits, labels, Classes);
        float actual = Losses.SoftmaxCrossEntropy(logits, labels, Batch, Classes);
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * (1 + Math.Abs(expected)), $"{actual} vs {expected}");
    }

    [Theory]
    [InlineData(1000f, -1000f, 0, 0.0)]
    [InlineData(1000f, -1000f, 1, 2000.0)]
    [InlineData(1000f, 1000f, 0, 0.69314718055994531)] // ln 2
    [InlineData(-1000f, -1000f, 1, 0.69314718055994531)]
    public void Softmax_cross_entropy_is_finite_and_exact_for_huge_logits(float a, float b, int label, double expected)
    {
        // Tolerance 1e-6 · (1 + |L|): one float rounding of the result (6e-8 relative).
        float actual = Losses.SoftmaxCrossEntropy([a, b], [label], 1, 2);
        Assert.True(float.IsFinite(actual));
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * (1 + expected), $"{actual} vs {expected}");
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_is_softmax_minus_one_hot_over_batch()
    {
        // Tolerance 1e-7 absolute on values ≤ 1/Batch = 0.2: a float softmax (≲ 1e-6 relative, see SoftmaxKernelTests)
        // times 0.2.
        float[] logits = TestData.Gaussian(Batch * Classes, seed: 32, scale: 3);
        int[] labels = TestData.Labels(Batch, Classes, seed: 33);
        var d = new float[Batch * Classes];
        Losses.SoftmaxCrossEntropyBackward(d, logits, labels, Batch, Classes);
        for (int b = 0; b < Batch; b++)
        {
            double[] p = DoubleReference.Softmax(logits.AsSpan(b * Classes, Classes));
            for (int c = 0; c < Classes; c++)
            {
                double expected = (p[c] - (c == labels[b] ? 1 : 0)) / Batch;
                Assert.Equal(expected, d[b * Classes + c], 1e-7);
            }
        }
    }

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
