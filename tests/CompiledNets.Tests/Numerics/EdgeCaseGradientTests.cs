using System;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Finite-difference checks, every parameter, training (masks fixed by Reseed) and inference, on the layer-list edge
/// cases of <c>NumericsNetworks.cs</c>: dropout as the last layer (on logits; on regression outputs, inverted), and a
/// rate-0 dropout in front of a single dense layer. No ReLU anywhere, so no kinks.
/// </summary>
public class EdgeCaseGradientTests(ITestOutputHelper output)
{
    private const int Batch = 4;
    private const ulong MaskSeed = 5150;

    // h = 1e-2 and |numeric − analytic| ≤ 2e-4 + 5e-3 · |gradient|, as in SmallMixedNetGradientTests: float32 loss noise
    // / 2h ≈ 2.5e-5, and h²/6 · |L'''| truncation ≲ 0.5% of the gradient. The closest case (half the bound) is the
    // regression net in training mode, whose inputs are scaled by 1/p: that error is truncation (it shrinks ~10× at h = 3e-3).
    private const float H = 1e-2f;
    private const double AbsoluteTolerance = 2e-4, RelativeTolerance = 5e-3;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dropout_on_the_logits(bool training)
        => CheckClassifier(new TrailingDropoutNet(maxBatchSize: Batch, seed: 1), training);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rate_zero_dropout_before_a_single_dense_layer(bool training)
        => CheckClassifier(new ZeroRateSingleLayerNet(maxBatchSize: Batch, seed: 2), training);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inverted_dropout_on_regression_outputs(bool training)
    {
        var net = new TrailingInvertedDropoutRegressionNet(maxBatchSize: Batch, seed: 3);
        float[] inputs = TestData.Gaussian(Batch * TrailingInvertedDropoutRegressionNet.InputSize, seed: 90);
        float[] targets = TestData.Gaussian(Batch * TrailingInvertedDropoutRegressionNet.OutputSize, seed: 91);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(targets);
        }
        Loss();
        net.Backward(targets);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), H, AbsoluteTolerance, RelativeTolerance, output);
    }

    private void CheckClassifier(IClassifierNetwork net, bool training)
    {
        float[] inputs = TestData.Gaussian(Batch * net.InputSize, seed: 92);
        int[] labels = TestData.Labels(Batch, net.OutputSize, seed: 93);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(labels);
        }
        Loss();
        net.Backward(labels);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), H, AbsoluteTolerance, RelativeTolerance, output);
    }
}
