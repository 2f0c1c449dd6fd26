using System;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// The softmax cross-entropy kernel that generated networks call (<see cref="SoftmaxCrossEntropy"/>), directly, against
/// the same quantities in double (<see cref="DoubleReference"/>): on logits of ordinary size and on logits so large
/// (±1000) that exponentials without the shift by each row's maximum overflow to infinity or underflow to zero.
/// </summary>
public class SoftmaxCrossEntropyKernelTests
{
    private const int Batch = 5, Classes = 7;

    [Fact]
    public void Loss_equals_a_double_reference()
    {
        // Tolerance 1e-6 · (1 + |L|): the kernel sums in double, but subtracts the row max in float (relative error
        // 6e-8 of logits up to ~10 here) and returns a float (6e-8 relative), so a few 1e-7 at most.
        float[] logits = TestData.Gaussian(Batch * Classes, seed: 30, scale: 3);
        int[] labels = TestData.Labels(Batch, Classes, seed: 31);
        double expected = DoubleReference.CrossEntropy(logits, labels, Classes);
        float actual = SoftmaxCrossEntropy.Loss(logits, labels, Batch, Classes);
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * (1 + Math.Abs(expected)), $"{actual} vs {expected}");
    }

    [Theory]
    [InlineData(1000f, -1000f, 0, 0.0)]
    [InlineData(1000f, -1000f, 1, 2000.0)]
    [InlineData(1000f, 1000f, 0, 0.69314718055994531)] // ln 2
    [InlineData(-1000f, -1000f, 1, 0.69314718055994531)]
    public void Loss_is_finite_and_exact_for_huge_logits(float a, float b, int label, double expected)
    {
        // Tolerance 1e-6 · (1 + |L|): one float rounding of the result (6e-8 relative).
        float actual = SoftmaxCrossEntropy.Loss([a, b], [label], 1, 2);
        Assert.True(float.IsFinite(actual));
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * (1 + expected), $"{actual} vs {expected}");
    }

    [Theory]
    [InlineData(1000f, -1000f, 0)]
    [InlineData(1000f, -1000f, 1)]
    [InlineData(1000f, 1000f, 0)]
    [InlineData(-1000f, -1000f, 1)]
    public void Gradient_is_finite_and_exact_for_huge_logits(float a, float b, int label)
    {
        // Tolerance 1e-7 absolute: the probabilities are exactly 0, 1/2 or 1 in float once each row is shifted by its max.
        float[] logits = [a, b];
        var d = new float[2];
        SoftmaxCrossEntropy.Backward(d, logits, [label], 1, 2);
        double[] p = DoubleReference.Softmax(logits);
        for (int c = 0; c < 2; c++)
            Assert.Equal(p[c] - (c == label ? 1 : 0), d[c], 1e-7);
    }

    [Fact]
    public void Gradient_is_softmax_minus_one_hot_over_batch()
    {
        // Tolerance 1e-7 absolute on values ≤ 1/Batch = 0.2: a float softmax (≲ 1e-6 relative, see SoftmaxKernelTests)
        // times 0.2.
        float[] logits = TestData.Gaussian(Batch * Classes, seed: 32, scale: 3);
        int[] labels = TestData.Labels(Batch, Classes, seed: 33);
        var d = new float[Batch * Classes];
        SoftmaxCrossEntropy.Backward(d, logits, labels, Batch, Classes);
        AssertGradient(d, logits, labels, Batch, Classes, tolerance: 1e-7);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(1000.0)]
    public void Loss_and_gradient_of_a_batch_equal_the_double_formulas(double scale)
    {
        const int batch = 6, classes = 10;
        float[] logits = TestData.Gaussian(batch * classes, seed: 8, scale);
        logits[3] = (float)(50 * scale); // one row dominated by a single large logit
        int[] labels = TestData.Labels(batch, classes, seed: 9);
        double expectedLoss = DoubleReference.CrossEntropy(logits, labels, classes);

        float loss = SoftmaxCrossEntropy.Loss(logits, labels, batch, classes);
        var gradient = new float[batch * classes];
        SoftmaxCrossEntropy.Backward(gradient, logits, labels, batch, classes);

        // Float logits of size up to ~5000 carry a rounding of ~2.4e-4 each; the loss is a difference of such values.
        Assert.True(float.IsFinite(loss), $"loss {loss}");
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)) + 1e-6 * scale,
            $"loss {loss} vs {expectedLoss}");
        AssertGradient(gradient, logits, labels, batch, classes, tolerance: 1e-6);
    }

    /// <summary><c>dLogits</c> against <c>(softmax(logits) − onehot(label)) / batch</c> in double, within <paramref name="tolerance"/>.</summary>
    private static void AssertGradient(float[] dLogits, float[] logits, int[] labels, int batch, int classes, double tolerance)
    {
        for (int b = 0; b < batch; b++)
        {
            double[] p = DoubleReference.Softmax(logits.AsSpan(b * classes, classes));
            for (int c = 0; c < classes; c++)
            {
                double expected = (p[c] - (c == labels[b] ? 1 : 0)) / batch;
                float actual = dLogits[b * classes + c];
                Assert.True(Math.Abs(actual - expected) <= tolerance, $"dLogits[{b * classes + c}] = {actual}, expected {expected}");
            }
        }
    }
}
