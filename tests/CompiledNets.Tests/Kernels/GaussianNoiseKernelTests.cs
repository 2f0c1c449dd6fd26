using System;
using CompiledNets.Kernels;
using CompiledNets.Randomness;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.FastKernels;

/// <summary>The normal sampler at every vector level this machine runs, against the documented transform in double.</summary>
public class GaussianNoiseKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(95)]
    [InlineData(1000)]
    public void Each_level_gives_the_Box_Muller_pairs_of_the_stream_uniforms_as_documented(int length)
    {
        // n + 1 uniforms from the stream one output at a time: for an odd n the last is the spare half the sampler uses.
        var u = new float[length + 1];
        var reference = new SplitMix64(5);
        Uniforms.Sample(SimdLevel.Scalar, u, ref reference);
        double[] expected = Expected(u, length, mean: 1, stdDev: 0.5);

        foreach (SimdLevel level in SupportedLevels.All())
        {
            var values = new float[length];
            var rng = new SplitMix64(5);
            GaussianNoise.Sample(level, values, mean: 1f, stdDev: 0.5f, ref rng);
            Assert.Equal(5 + (ulong)((length + 1) / 2) * SplitMix64.Increment, rng.State);
            for (int i = 0; i < length; i++)
                Assert.True(Math.Abs(values[i] - expected[i]) <= 2e-6, $"{level} [{i}]: {values[i]}, the transform in double {expected[i]}");
        }
    }

    [Fact]
    public void Each_level_samples_the_normal_distribution()
    {
        foreach (SimdLevel level in SupportedLevels.All())
        {
            // Blocks of 45 values: a whole block of 32 pairs and a partial one of 13 (an odd one out) in every block.
            var values = new float[45 * 4000];
            var rng = new SplitMix64(11);
            for (int block = 0; block < 4000; block++)
                GaussianNoise.Sample(level, values.AsSpan(block * 45, 45), mean: 0f, stdDev: 3f, ref rng);
            NormalStatistics.AssertNormal(values, 45, mean: 0, variance: 9);
        }
    }

    /// <summary>
    /// The sampler's documented output in double: blocks of 32 pair element i with i + 16, a last block of t elements
    /// pairs i with i + ⌈t/2⌉; r = sqrt(−2 ln u₁), θ = 2π·u₂ − π/4, the first gets r·cos θ, the second r·sin θ.
    /// </summary>
    private static double[] Expected(float[] u, int length, double mean, double stdDev)
    {
        var expected = new double[length];
        int whole = length - length % 32;
        void Pair(int first, int second)
        {
            double r = Math.Sqrt(-2 * Math.Log(u[first]));
            double theta = 2 * Math.PI * u[second] - Math.PI / 4;
            expected[first] = mean + stdDev * r * Math.Cos(theta);
            if (second < length) expected[second] = mean + stdDev * r * Math.Sin(theta);
        }
        for (int block = 0; block < whole; block += 32)
            for (int i = block; i < block + 16; i++) Pair(i, i + 16);
        int half = (length - whole + 1) / 2;
        for (int i = whole; i < whole + half; i++) Pair(i, i + half);
        return expected;
    }
}
