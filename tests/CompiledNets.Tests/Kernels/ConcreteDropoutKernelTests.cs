using System;
using CompiledNets.Kernels;
using CompiledNets.Randomness;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.FastKernels;

/// <summary>The concrete dropout kernels at every vector level this machine runs, against Gal's formulas in double.</summary>
public class ConcreteDropoutKernelTests
{
    [Theory]
    [InlineData(1, -0.85f)]
    [InlineData(15, 0f)]
    [InlineData(16, 2.5f)]
    [InlineData(67, -4f)]
    [InlineData(1000, -9f)]
    public void The_relaxed_mask_is_Gals_formula_and_the_stream_advances_one_output_per_two_values(int length, float logit)
    {
        double p = 1 / (1 + Math.Exp(-logit));
        // The uniforms one output at a time, as the scalar tail draws them: ((h >> 9) + 0.5) / 2^23 for each 32-bit half h.
        var reference = new float[length];
        var one = new SplitMix64(99);
        for (int i = 0; i < length; i += 2)
        {
            ulong bits = one.NextUInt64();
            reference[i] = (float)(((bits & 0xFFFF_FFFFUL) >> 9) + 0.5) / 8388608f;
            if (i + 1 < length) reference[i + 1] = (float)((bits >> 41) + 0.5) / 8388608f;
        }
        foreach (SimdLevel level in SupportedLevels.All())
        {
            var u = new float[length];
            var rng = new SplitMix64(99);
            Uniforms.Sample(level, u, ref rng);
            Assert.Equal(99 + (ulong)((length + 1) / 2) * SplitMix64.Increment, rng.State);
            Assert.Equal(reference, u); // bit for bit at every vector width
            var z = (float[])u.Clone();
            ConcreteDropout.DropMask(level, z, logit);
            for (int i = 0; i < length; i++)
            {
                Assert.InRange(u[i], 0f, 1f);
                double expected = ConcreteDropoutTests.GalMask(p, u[i]);
                Assert.True(Math.Abs(z[i] - expected) <= 2e-6 + 1e-5 * expected, $"{level} [{i}] u {u[i]}: z {z[i]}, Gal's formula {expected}");
            }
            var again = new float[length];
            var second = new SplitMix64(99);
            ConcreteDropout.SampleDropMask(again, logit, ref second);
            if (level == Simd.Level) Assert.Equal(z, again);
        }
    }

    [Fact]
    public void Extreme_uniforms_give_masks_of_exactly_0_and_1_and_never_NaN()
    {
        float[] u = [0f, 1e-30f, 1e-7f, 0.5f, 1f - 1e-7f, 1f];
        foreach (SimdLevel level in SupportedLevels.All())
            foreach (float logit in new[] { -16f, 0f, 16f })
            {
                var z = (float[])u.Clone();
                ConcreteDropout.DropMask(level, z, logit);
                Assert.All(z, v => Assert.InRange(v, 0f, 1f));
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(300)]
    public void Forward_and_backward_match_the_scalar_formulas(int length)
    {
        const float logit = -0.4f;
        double p = 1 / (1 + Math.Exp(-logit));
        float[] x = TestData.Gaussian(length, seed: 1), dy = TestData.Gaussian(length, seed: 2);
        float[] z = TestData.Uniform(length, seed: 3, 0, 1);
        double c = p * (1 - p) * (1 / (p + 1e-7) + 1 / (1 - p + 1e-7)) / 0.1;
        double expectedLogit = 0;
        for (int i = 0; i < length; i++)
            expectedLogit += dy[i] * x[i] * (1 - z[i]) / (1 - p) * (p - z[i] * c);
        foreach (SimdLevel level in SupportedLevels.All())
        {
            var y = new float[length];
            ConcreteDropout.Forward(level, y, x, z, logit);
            var dx = new float[length];
            float dLogit = ConcreteDropout.Backward(level, dx, dy, x, z, logit);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(x[i] * (1 - z[i]) / (1 - p), y[i], 1e-5 * (1 + Math.Abs(x[i])));
                Assert.Equal(dy[i] * (1 - z[i]) / (1 - p), dx[i], 1e-5 * (1 + Math.Abs(dy[i])));
            }
            Assert.Equal(expectedLogit, dLogit, 1e-4 * (1 + Math.Abs(expectedLogit)));
            Assert.Equal(dLogit, ConcreteDropout.Backward(level, default, dy, x, z, logit), 1e-6 * (1 + Math.Abs(dLogit)));
        }
    }

    [Fact]
    public void The_regularizer_and_its_gradients_are_Gals_terms()
    {
        float[] w = TestData.Gaussian(50, seed: 4);
        const float logit = 0.7f, wr = 0.3f, dr = 0.2f;
        const int features = 11;
        double p = 1 / (1 + Math.Exp(-logit)), squares = 0;
        foreach (float v in w) squares += (double)v * v;
        double term = wr * squares / (1 - p) + dr * features * (p * Math.Log(p) + (1 - p) * Math.Log(1 - p));
        Assert.Equal(term, ConcreteDropout.Regularizer(logit, w, wr, dr, features), 1e-5 * Math.Abs(term));

        float[] dw = TestData.Gaussian(50, seed: 5), before = (float[])dw.Clone();
        float dLogit = ConcreteDropout.RegularizerBackward(dw, w, logit, wr, dr, features);
        for (int i = 0; i < w.Length; i++)
            Assert.Equal(before[i] + 2 * wr * w[i] / (1 - p), dw[i], 1e-5);
        // d/dlogit by central differences of the term in double.
        double Term(double l)
        {
            double q = 1 / (1 + Math.Exp(-l));
            return wr * squares / (1 - q) + dr * features * (q * Math.Log(q) + (1 - q) * Math.Log(1 - q));
        }
        double numeric = (Term(logit + 1e-5) - Term(logit - 1e-5)) / 2e-5;
        Assert.Equal(numeric, dLogit, 1e-4 * Math.Abs(numeric));
        Assert.Equal(0.5f, ConcreteDropout.Rate(0f));
        Assert.Equal(0.2f, ConcreteDropout.Rate(ConcreteDropout.Logit(0.2)), 6);
    }
}
