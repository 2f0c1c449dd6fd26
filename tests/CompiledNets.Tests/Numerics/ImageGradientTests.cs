using System;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Finite-difference checks of every parameter of the image networks in <c>ImageNetworks.cs</c>, training (masks fixed
/// by Reseed) and inference: convolutions with strides 1 and 2, Valid and Same padding (odd total padding included),
/// several channels, spatial and per-element dropout, overlapping max pooling, classification and regression.
/// </summary>
public class ImageGradientTests(ITestOutputHelper output)
{
    private const int Batch = 3;
    private const ulong MaskSeed = 777;

    // As in EdgeCaseGradientTests: h = 1e-2, |numeric − analytic| ≤ 2e-4 + 5e-3 · |gradient| (float32 loss noise / 2h ≈
    // 2.5e-5; truncation h²/6 · |L'''| ≲ 0.5% of the gradient on these smooth activations).
    private const float H = 1e-2f;
    private const double AbsoluteTolerance = 2e-4, RelativeTolerance = 5e-3;

    // Max pooling is piecewise linear: a step of h can move a window's maximum when its two largest values are closer
    // than the step changes them. h = 1e-3 makes that rare for these inputs (checked at these seeds); the float32 noise
    // / 2h grows to ≈ 2.5e-4, hence the larger absolute tolerance.
    private const float PoolH = 1e-3f;
    private const double PoolAbsoluteTolerance = 1e-3;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Strided_same_convolution(bool training)
        => CheckClassifier(new StridedSameConvNet(maxBatchSize: Batch, seed: 11), training, H, AbsoluteTolerance);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Convolutions_with_spatial_and_element_dropout(bool training)
        => CheckClassifier(new ConvDropoutNet(maxBatchSize: Batch, seed: 12), training, H, AbsoluteTolerance);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Overlapping_max_pooling(bool training)
        => CheckClassifier(new OverlappingPoolNet(maxBatchSize: Batch, seed: 13), training, PoolH, PoolAbsoluteTolerance);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Image_regression(bool training)
    {
        var net = new ImageRegressionNet(maxBatchSize: Batch, seed: 14);
        float[] inputs = TestData.Gaussian(Batch * ImageRegressionNet.InputSize, seed: 94);
        float[] targets = TestData.Gaussian(Batch * ImageRegressionNet.OutputSize, seed: 95);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(targets);
        }
        Loss();
        net.Backward(targets);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), PoolH, PoolAbsoluteTolerance, RelativeTolerance, output);
    }

    private void CheckClassifier(IClassifierNetwork net, bool training, float h, double absoluteTolerance)
    {
        float[] inputs = TestData.Gaussian(Batch * net.InputSize, seed: 96);
        int[] labels = TestData.Labels(Batch, net.OutputSize, seed: 97);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(labels);
        }
        Loss();
        net.Backward(labels);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), h, absoluteTolerance, RelativeTolerance, output);
    }
}
