using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// The masks a generated network samples, read through the mask-counting networks of <c>NumericsNetworks.cs</c>
/// (input dropout → one linear unit with weights 1 and bias 0, so an example's output is keptValue × its kept count).
/// </summary>
public class DropoutNetworkMaskTests
{
    private const int Inputs = 1000, Batch = 128, Forwards = 8;

    // Tolerance: 5 standard errors of a binomial proportion, σ = sqrt(p(1−p)/n) with n = 8 × 128 × 1000 ≈ 10⁶ units
    // (failure probability 6e-7 for a correct sampler; fixed seeds make the test deterministic); 5σ ≤ 0.0025.
    private const double Sigmas = 5;

    [Theory]
    [InlineData(0.1, false)]
    [InlineData(0.5, false)]
    [InlineData(0.8, false)]
    [InlineData(0.1, true)]
    [InlineData(0.5, true)]
    [InlineData(0.8, true)]
    public void Training_forward_keeps_a_fraction_one_minus_rate_of_the_units(double rate, bool inverted)
    {
        IRegressionNetwork net = CreateCounter(rate, inverted);
        double p = 1 - rate;
        double keptValue = inverted ? (float)(1 / p) : 1.0;
        var ones = new float[Batch * Inputs];
        Array.Fill(ones, 1f);

        long kept = 0;
        for (int f = 0; f < Forwards; f++)
        {
            ReadOnlySpan<float> counts = net.Forward(ones, Batch, training: true);
            foreach (float c in counts)
            {
                // With inverted scaling the sum of up to 1000 copies of 1/p carries float rounding (< 0.05 in total),
                // so the count is the nearest integer.
                double count = c / keptValue;
                Assert.True(Math.Abs(count - Math.Round(count)) < 0.1, $"output {c} is not a whole number of kept values {keptValue}");
                kept += (long)Math.Round(count);
            }
        }

        long n = (long)Forwards * Batch * Inputs;
        double observed = (double)kept / n, sigma = Math.Sqrt(p * (1 - p) / n);
        Assert.True(Math.Abs(observed - p) <= Sigmas * sigma,
            $"kept fraction {observed:F5}, expected {p:F5} ± {Sigmas * sigma:F5} ({Sigmas}σ, n = {n})");
    }

    [Theory]
    [InlineData(0.1, true)]
    [InlineData(0.5, true)]
    [InlineData(0.8, true)]
    [InlineData(0.1, false)]
    [InlineData(0.8, false)]
    public void A_kept_unit_is_scaled_by_one_over_p_when_inverted_and_passed_unchanged_otherwise(double rate, bool inverted)
    {
        // One-hot rows: each output is mask value × 1 × 1 + 0, i.e. exactly the mask value of that unit.
        IRegressionNetwork net = CreateCounter(rate, inverted);
        var oneHot = new float[Batch * Inputs];
        for (int b = 0; b < Batch; b++) oneHot[b * Inputs + (b * 7) % Inputs] = 1f;
        float expected = inverted ? (float)(1 / (1 - rate)) : 1f; // 1/p rounded once to float: compared exactly

        bool sawKept = false, sawDropped = false;
        for (int f = 0; f < Forwards; f++)
        {
            foreach (float v in net.Forward(oneHot, Batch, training: true))
            {
                Assert.True(v == 0f || v == expected, $"mask value {v}, expected 0 or {expected}");
                sawKept |= v != 0f;
                sawDropped |= v == 0f;
            }
        }
        Assert.True(sawKept && sawDropped);

        // At inference: p × x (at-inference rule) or x (inverted), so both rules agree in expectation.
        ReadOnlySpan<float> inference = net.Forward(oneHot, Batch, training: false);
        float inferenceValue = inverted ? 1f : (float)(1 - rate);
        foreach (float v in inference) Assert.Equal(inferenceValue, v);
        // A regression network's Predict writes those raw outputs.
        var predicted = new float[Batch];
        net.Predict(oneHot, predicted, Batch);
        Assert.All(predicted, v => Assert.Equal(inferenceValue, v));
    }

    [Fact]
    public void Reseed_with_the_same_seed_repeats_the_masks_and_another_seed_does_not()
    {
        IRegressionNetwork net = CreateCounter(0.5, inverted: false);
        var ones = new float[Batch * Inputs];
        Array.Fill(ones, 1f);

        net.Reseed(99);
        float[] first = net.Forward(ones, Batch, training: true).ToArray();
        float[] next = net.Forward(ones, Batch, training: true).ToArray();
        net.Reseed(99);
        float[] again = net.Forward(ones, Batch, training: true).ToArray();
        net.Reseed(100);
        float[] other = net.Forward(ones, Batch, training: true).ToArray();

        Assert.Equal(first, again);
        Assert.NotEqual(first, next); // the stream moves on between forwards
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void A_network_constructed_with_a_seed_samples_the_masks_of_Reseed_with_that_seed()
    {
        var ones = new float[Batch * Inputs];
        Array.Fill(ones, 1f);
        IRegressionNetwork fresh = Prepare(new KeepCount50Net(seed: 31));
        IRegressionNetwork reseeded = Prepare(new KeepCount50Net(seed: 5));
        reseeded.Reseed(31);
        Assert.Equal(fresh.Forward(ones, Batch, training: true).ToArray(), reseeded.Forward(ones, Batch, training: true).ToArray());
    }

    [Fact]
    public void Inference_samples_no_masks_and_leaves_the_stream_where_it_was()
    {
        var ones = new float[Batch * Inputs];
        Array.Fill(ones, 1f);
        IRegressionNetwork a = CreateCounter(0.5, inverted: false), b = CreateCounter(0.5, inverted: false);
        a.Reseed(3);
        b.Reseed(3);
        a.Forward(ones, Batch, training: false);
        a.Predict(ones, new float[Batch], Batch);
        Assert.Equal(a.Forward(ones, Batch, training: true).ToArray(), b.Forward(ones, Batch, training: true).ToArray());
    }

    private static IRegressionNetwork CreateCounter(double rate, bool inverted) => (rate, inverted) switch
    {
        (0.1, false) => Prepare(new KeepCount10Net(seed: 1)),
        (0.5, false) => Prepare(new KeepCount50Net(seed: 2)),
        (0.8, false) => Prepare(new KeepCount80Net(seed: 3)),
        (0.1, true) => Prepare(new KeepCountInverted10Net(seed: 4)),
        (0.5, true) => Prepare(new KeepCountInverted50Net(seed: 5)),
        (0.8, true) => Prepare(new KeepCountInverted80Net(seed: 6)),
        _ => throw new ArgumentOutOfRangeException(nameof(rate)),
    };

    /// <summary>Weights 1, bias 0: the output counts (scaled) kept inputs.</summary>
    private static IRegressionNetwork Prepare(IRegressionNetwork net)
    {
        Assert.Equal(Inputs + 1, net.ParameterCount);
        net.Parameters.Slice(0, Inputs).Fill(1f);
        net.Parameters[Inputs] = 0f;
        return net;
    }
}
