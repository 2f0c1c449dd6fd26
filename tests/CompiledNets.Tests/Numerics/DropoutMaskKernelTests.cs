using System;
using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.Numerics;

/// <summary>Statistical and determinism checks of <see cref="Dropout.SampleMask"/>.</summary>
public class DropoutMaskKernelTests
{
    // Odd, so the single-element tail of SampleMask is exercised too.
    private const int Count = 1_000_001;

    // Tolerance: the kept count is Binomial(n, p), so the kept fraction has standard error σ = sqrt(p(1−p)/n); we allow
    // 5σ (a correct sampler fails with probability 6e-7 per check, and the seeds are fixed, so the test is deterministic).
    // At n = 10⁶, 5σ is at most 0.0025, so a keep probability off by 0.01 (or rate and keep swapped) is caught.
    private const double Sigmas = 5;

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Kept_fraction_is_within_five_standard_errors_of_one_minus_rate(double rate)
    {
        float p = (float)(1 - rate);
        var mask = new float[Count];
        var rng = Dropout.CreateMaskStream(seed: 42);
        Dropout.SampleMask(mask, p, keptValue: 1f, ref rng);

        int kept = 0;
        foreach (float m in mask) kept += m != 0f ? 1 : 0;
        AssertProportion(kept, Count, p);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void The_two_elements_drawn_from_one_random_word_are_independent(double rate)
    {
        // Each 64-bit output gives two elements; if its halves were correlated, "both kept" would not have probability p².
        float p = (float)(1 - rate);
        var mask = new float[Count - 1];
        var rng = Dropout.CreateMaskStream(seed: 43);
        Dropout.SampleMask(mask, p, keptValue: 1f, ref rng);

        int both = 0, pairs = mask.Length / 2;
        for (int i = 0; i < mask.Length; i += 2)
            both += mask[i] != 0f && mask[i + 1] != 0f ? 1 : 0;
        AssertProportion(both, pairs, (double)p * p);
    }

    [Theory]
    [InlineData(0.9f, 1f / 0.9f)]
    [InlineData(0.5f, 2f)]
    [InlineData(0.2f, 5f)]
    [InlineData(0.6f, 1f)]
    public void Every_element_is_exactly_zero_or_the_kept_value(float p, float keptValue)
    {
        var mask = new float[1001];
        var rng = Dropout.CreateMaskStream(seed: 44);
        Dropout.SampleMask(mask, p, keptValue, ref rng);
        Assert.All(mask, m => Assert.True(m == 0f || m == keptValue, $"mask value {m}"));
        Assert.Contains(0f, mask);
        Assert.Contains(keptValue, mask);
    }

    [Fact]
    public void Keep_probability_one_keeps_everything()
    {
        var mask = new float[1001];
        var rng = Dropout.CreateMaskStream(seed: 45);
        Dropout.SampleMask(mask, 1f, 1f, ref rng);
        Assert.All(mask, m => Assert.Equal(1f, m));
    }

    [Fact]
    public void The_same_seed_gives_the_same_masks_and_different_seeds_different_ones()
    {
        float[] a = Sample(seed: 7), b = Sample(seed: 7), c = Sample(seed: 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);

        // Consecutive masks from one stream differ too.
        var rng = Dropout.CreateMaskStream(seed: 7);
        var first = new float[1000];
        var second = new float[1000];
        Dropout.SampleMask(first, 0.5f, 1f, ref rng);
        Dropout.SampleMask(second, 0.5f, 1f, ref rng);
        Assert.Equal(a, first);
        Assert.NotEqual(first, second);

        static float[] Sample(ulong seed)
        {
            var rng = Dropout.CreateMaskStream(seed);
            var mask = new float[1000];
            Dropout.SampleMask(mask, 0.5f, 1f, ref rng);
            return mask;
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void A_keep_probability_outside_zero_to_one_throws(float p)
    {
        var rng = new SplitMix64(1);
        var mask = new float[4];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.SampleMask(mask, p, 1f, ref rng));
        Assert.Equal("keepProbability", e.ParamName);
    }

    private static void AssertProportion(int successes, int trials, double expected)
    {
        double observed = (double)successes / trials;
        double sigma = Math.Sqrt(expected * (1 - expected) / trials);
        Assert.True(Math.Abs(observed - expected) <= Sigmas * sigma,
            $"observed {observed:F5}, expected {expected:F5} ± {Sigmas * sigma:F5} ({Sigmas}σ, n = {trials})");
    }
}
