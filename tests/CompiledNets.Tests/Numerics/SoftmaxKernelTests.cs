using System;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.Numerics;

/// <summary><see cref="Losses.Softmax"/>: stable for huge logits, rows independent, equal to a double reference.</summary>
public class SoftmaxKernelTests
{
    // Tolerance 1e-6 absolute on probabilities (≤ 1): the float softmax is a subtraction, an exp (a few ulps in
    // TensorPrimitives), a sum of ≤ 10 terms and a division, so a few times 6e-8; 1e-6 leaves a margin of ~5×.
    private const double Tolerance = 1e-6;

    public static TheoryData<float[]> ExtremeRows => new()
    {
        new[] { 1000f, -1000f, 0f },
        new[] { 1000f, 1000f },
        new[] { -1000f, -1000f, -1000f },
        new[] { 89f, 88.5f, 0f },          // exp(89) overflows float without the max shift
        new[] { -104f, -103.5f },          // exp(-104) is subnormal or 0 in float without the shift
        new[] { 3e38f, -3e38f, 0f },       // the shift itself produces -∞ for the small ones: exp(-∞) = 0
        new[] { 42f },                     // one class: probability 1
    };

    [Theory]
    [MemberData(nameof(ExtremeRows))]
    public void Huge_logits_give_finite_probabilities_that_sum_to_one(float[] logits)
    {
        var probabilities = new float[logits.Length];
        Losses.Softmax(logits, probabilities, batch: 1, classes: logits.Length);

        Assert.All(probabilities, p => Assert.True(float.IsFinite(p) && p >= 0f && p <= 1f, $"probability {p}"));
        double sum = 0;
        foreach (float p in probabilities) sum += p;
        Assert.Equal(1.0, sum, Tolerance);
        double[] expected = DoubleReference.Softmax(logits);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(expected[i], probabilities[i], Tolerance);
    }

    [Fact]
    public void Each_row_of_a_batch_is_normalized_on_its_own()
    {
        const int batch = 6, classes = 10;
        float[] logits = TestData.Gaussian(batch * classes, seed: 8, scale: 5);
        logits[3] = 1000f; // an extreme value in row 0 must not affect the other rows
        var probabilities = new float[batch * classes];
        Losses.Softmax(logits, probabilities, batch, classes);

        for (int b = 0; b < batch; b++)
        {
            double[] expected = DoubleReference.Softmax(logits.AsSpan(b * classes, classes));
            for (int c = 0; c < classes; c++)
                Assert.Equal(expected[c], probabilities[b * classes + c], Tolerance);
        }
    }
}
