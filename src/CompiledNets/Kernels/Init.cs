using System;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>Weight initializations, drawn from the network's seeded stream.</summary>
public static class Init
{
    /// <summary>The stream a network initializes its weights from, given its constructor seed.</summary>
    public static SplitMix64 CreateWeightStream(ulong seed) => new(seed);

    /// <summary>Normal(0, sqrt(2 / fanIn)).</summary>
    public static void HeNormal(Span<float> weights, int fanIn, ref SplitMix64 rng) => Normal(weights, Math.Sqrt(2.0 / fanIn), ref rng);

    /// <summary>Normal(0, sqrt(1 / fanIn)): LeCun-normal, the init of SELU layers.</summary>
    public static void LeCunNormal(Span<float> weights, int fanIn, ref SplitMix64 rng) => Normal(weights, Math.Sqrt(1.0 / fanIn), ref rng);

    private static void Normal(Span<float> weights, double std, ref SplitMix64 rng)
    {
        for (int i = 0; i < weights.Length; i++)
            weights[i] = (float)(std * rng.NextGaussian());
    }

    /// <summary>Uniform(−a, a) with <c>a = sqrt(6 / (fanIn + fanOut))</c>.</summary>
    public static void GlorotUniform(Span<float> weights, int fanIn, int fanOut, ref SplitMix64 rng)
    {
        double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < weights.Length; i++)
            weights[i] = (float)(limit * (2.0 * rng.NextDouble() - 1.0));
    }

    /// <summary>Normal(0, stdDev) redrawn until within two standard deviations, as TensorFlow's truncated_normal.</summary>
    public static void TruncatedNormal(Span<float> weights, float stdDev, ref SplitMix64 rng)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            double z;
            do z = rng.NextGaussian(); while (Math.Abs(z) > 2.0);
            weights[i] = (float)(stdDev * z);
        }
    }
}
