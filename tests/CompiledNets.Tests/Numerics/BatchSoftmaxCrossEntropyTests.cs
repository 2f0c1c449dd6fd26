using System;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// The batched softmax cross-entropy kernel that generated networks call (<see cref="SoftmaxCrossEntropy"/>), directly,
/// against the same quantities in double: on logits of ordinary size and on logits so large (±1000) that exponentials
/// without the shift by each row's maximum overflow to infinity or underflow to zero.
/// </summary>
public class BatchSoftmaxCrossEntropyTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(1000.0)]
    public void Loss_and_gradient_equal_the_double_formulas(double scale)
    {
        const int batch = 6, classes = 10;
        float[] logits = TestData.Gaussian(batch * classes, seed: 8, scale);
        logits[3] = (float)(50 * scale); // one row dominated by a single large logit
        int[] labels = TestData.Labels(batch, classes, seed: 9);

        double expectedLoss = 0;
        var expectedGradient = new double[batch * classes];
        for (int n = 0; n < batch; n++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[n * classes + c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[n * classes + c] - max);
            expectedLoss += Math.Log(sum) + max - logits[n * classes + labels[n]];
            for (int c = 0; c < classes; c++)
                expectedGradient[n * classes + c] = (Math.Exp(logits[n * classes + c] - max) / sum - (c == labels[n] ? 1 : 0)) / batch;
        }
        expectedLoss /= batch;

        float loss = SoftmaxCrossEntropy.Loss(logits, labels, batch, classes);
        var gradient = new float[batch * classes];
        SoftmaxCrossEntropy.Backward(gradient, logits, labels, batch, classes);

        // Float logits of size up to ~5000 carry a rounding of ~2.4e-4 each; the loss is a difference of such values.
        Assert.True(float.IsFinite(loss), $"loss {loss}");
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)) + 1e-6 * scale,
            $"loss {loss} vs {expectedLoss}");
        for (int i = 0; i < gradient.Length; i++)
            Assert.True(Math.Abs(gradient[i] - expectedGradient[i]) <= 1e-6, $"dLogits[{i}] = {gradient[i]}, expected {expectedGradient[i]}");
    }
}
