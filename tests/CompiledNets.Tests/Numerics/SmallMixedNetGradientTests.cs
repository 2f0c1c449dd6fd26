using System;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Finite-difference check of <see cref="SmallMixedNet.Backward"/> (softmax cross-entropy; input dropout; Tanh,
/// Sigmoid and ReLU; inverted and at-inference dropout), for every one of its 185 parameters.
/// </summary>
public class SmallMixedNetGradientTests(ITestOutputHelper output)
{
    private const int Batch = 4;
    private const ulong MaskSeed = 20240611;

    // h = 1e-2: the truncation error of a central difference is h²/6 · |L'''| ≈ 2e-5 · |L'''|, and the float32 noise in
    // the loss (|L| ≈ 1: a float ulp of 1.2e-7 plus a few ulps of forward-pass rounding, ~5e-7) adds ~5e-7 / 2h = 2.5e-5.
    private const float H = 1e-2f;
    // Tolerance: |numeric − analytic| ≤ 2e-4 + 5e-3 · |gradient|: eight times that noise as the absolute part, and
    // 0.5% for the h² truncation of the larger gradients (the observed worst error is ~5% of this bound). A dropout
    // scale of p = 0.7 or 1/p = 2 missing from Backward changes the affected gradients by 30–100%, far outside it.
    private const double AbsoluteTolerance = 2e-4, RelativeTolerance = 5e-3;

    // Parameter layout: Dense 1 [7, 9] + 9, Dense 2 [9, 6] + 6, Dense 3 [6, 5] + 5, Dense 4 [5, 3] + 3.
    private const int Dense3Weights = 7 * 9 + 9 + 9 * 6 + 6, Dense3Bias = Dense3Weights + 6 * 5;
    private const double ReLUMargin = 0.5;

    private readonly float[] _inputs = TestData.Gaussian(Batch * SmallMixedNet.InputSize, seed: 11);
    private readonly int[] _labels = TestData.Labels(Batch, SmallMixedNet.OutputSize, seed: 12);

    [Fact]
    public void Backward_matches_central_differences_in_training_mode_with_fixed_masks()
    {
        var net = CreateNetwork();
        float[] analytic = Gradient(net, training: true);
        FiniteDifference.AssertMatches(net, () => LossOf(net, training: true), analytic, H, AbsoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void Backward_matches_central_differences_in_inference_mode()
    {
        var net = CreateNetwork();
        float[] analytic = Gradient(net, training: false);
        FiniteDifference.AssertMatches(net, () => LossOf(net, training: false), analytic, H, AbsoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void Reseed_makes_the_training_loss_a_function_of_the_parameters_with_dropout_active()
    {
        var net = CreateNetwork();
        float first = LossOf(net, training: true);
        Assert.Equal(first, LossOf(net, training: true)); // bit-identical: the same masks again
        Assert.NotEqual(first, LossOf(net, training: false)); // masks really change the loss
        net.Reseed(MaskSeed + 1);
        net.Forward(_inputs, Batch, training: true);
        Assert.NotEqual(first, net.Loss(_labels)); // and another seed draws other masks
    }

    /// <summary>
    /// Sets up the network so that no ReLU pre-activation can come near its kink: the ReLU layer (Dense 3) sees
    /// sigmoid outputs times masks in {0, 1} (or × 0.7 at inference), all in [0, 1]; so if for each unit
    /// |b_j| − Σᵢ|w_ij| ≥ 0.5, then |z_j| ≥ 0.5 for every input, and a step of h = 0.01 in any one parameter moves
    /// that bound by at most h. So every z_j keeps its sign across θ ± h, for every example and mask. Units 1 and 4
    /// get a negative bias (always off), so the zero branch of ReLUBackward is checked too.
    /// </summary>
    private static SmallMixedNet CreateNetwork()
    {
        var net = new SmallMixedNet(maxBatchSize: Batch, seed: 5);
        Span<float> p = net.Parameters;
        for (int j = 0; j < 5; j++)
        {
            double sum = 0;
            for (int i = 0; i < 6; i++) sum += Math.Abs(p[Dense3Weights + i * 5 + j]);
            float shrink = (float)Math.Min(1.0, 1.0 / sum);
            for (int i = 0; i < 6; i++) p[Dense3Weights + i * 5 + j] *= shrink;
            p[Dense3Bias + j] = j is 1 or 4 ? -1.5f : 1.5f;

            double margin = Math.Abs(p[Dense3Bias + j]);
            for (int i = 0; i < 6; i++) margin -= Math.Abs(p[Dense3Weights + i * 5 + j]);
            Assert.True(margin >= ReLUMargin - 1e-6, $"ReLU unit {j} has margin {margin}");
        }
        return net;
    }

    private float LossOf(SmallMixedNet net, bool training)
    {
        net.Reseed(MaskSeed); // the same masks on every evaluation
        net.Forward(_inputs, Batch, training);
        return net.Loss(_labels);
    }

    private float[] Gradient(SmallMixedNet net, bool training)
    {
        net.Reseed(MaskSeed);
        net.Forward(_inputs, Batch, training);
        net.Backward(_labels);
        return net.Gradients.ToArray();
    }
}
