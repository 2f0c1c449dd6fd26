using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>Finite-difference check of <see cref="SmallRegressionNet.Backward"/> (mean squared error, Tanh, dropout 0.2), every parameter.</summary>
public class SmallRegressionNetGradientTests(ITestOutputHelper output)
{
    private const int Batch = 4;
    private const ulong MaskSeed = 77;

    // h = 1e-2 and |numeric − analytic| ≤ 2e-4 + 5e-3 · |gradient|, for the reasons given in SmallMixedNetGradientTests:
    // float32 loss noise / 2h ≈ 2.5e-5 and h²/6 · |L'''| truncation ≲ 0.5% of the gradient. No ReLU here, so no kinks.
    private const float H = 1e-2f;
    private const double AbsoluteTolerance = 2e-4, RelativeTolerance = 5e-3;

    private readonly float[] _inputs = TestData.Gaussian(Batch * SmallRegressionNet.InputSize, seed: 21);
    private readonly float[] _targets = TestData.Gaussian(Batch * SmallRegressionNet.OutputSize, seed: 22);

    [Fact]
    public void Backward_matches_central_differences_in_training_mode_with_fixed_masks()
    {
        var net = new SmallRegressionNet(maxBatchSize: Batch, seed: 9);
        float[] analytic = Gradient(net, training: true);
        FiniteDifference.AssertMatches(net, () => LossOf(net, training: true), analytic, H, AbsoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void Backward_matches_central_differences_in_inference_mode()
    {
        var net = new SmallRegressionNet(maxBatchSize: Batch, seed: 9);
        float[] analytic = Gradient(net, training: false);
        FiniteDifference.AssertMatches(net, () => LossOf(net, training: false), analytic, H, AbsoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void Reseed_makes_the_training_loss_a_function_of_the_parameters_with_dropout_active()
    {
        var net = new SmallRegressionNet(maxBatchSize: Batch, seed: 9);
        float first = LossOf(net, training: true);
        Assert.Equal(first, LossOf(net, training: true));
        Assert.NotEqual(first, LossOf(net, training: false));
    }

    private float LossOf(SmallRegressionNet net, bool training)
    {
        net.Reseed(MaskSeed);
        net.Forward(_inputs, Batch, training);
        return net.Loss(_targets);
    }

    private float[] Gradient(SmallRegressionNet net, bool training)
    {
        net.Reseed(MaskSeed);
        net.Forward(_inputs, Batch, training);
        net.Backward(_targets);
        return net.Gradients.ToArray();
    }
}
