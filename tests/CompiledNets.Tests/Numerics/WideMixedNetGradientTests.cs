using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Finite-difference check of all 3,111 parameters of <see cref="WideMixedNet"/> (layers of 37 and 33 units, so the
/// vectorized kernels run their main loops and tails), in training mode with masks fixed by Reseed, and at inference.
/// </summary>
public class WideMixedNetGradientTests(ITestOutputHelper output)
{
    private const int Batch = 6;
    private const ulong MaskSeed = 8086;

    // h = 1e-2 and |numeric − analytic| ≤ 2e-4 + 5e-3 · |gradient|, as in SmallMixedNetGradientTests (float32 loss noise
    // / 2h ≈ 2.5e-5 with |L| ≈ 2.3; h²/6 · |L'''| truncation ≲ 0.5%). No ReLU, so no kinks.
    private const float H = 1e-2f;
    private const double AbsoluteTolerance = 2e-4, RelativeTolerance = 5e-3;

    private readonly float[] _inputs = TestData.Gaussian(Batch * WideMixedNet.InputSize, seed: 300);
    private readonly int[] _labels = TestData.Labels(Batch, WideMixedNet.OutputSize, seed: 301);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_central_differences_for_every_parameter(bool training)
    {
        var net = new WideMixedNet(maxBatchSize: Batch, seed: 7);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(_inputs, Batch, training);
            return net.Loss(_labels);
        }
        Loss();
        net.Backward(_labels);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), H, AbsoluteTolerance, RelativeTolerance, output);
    }
}
