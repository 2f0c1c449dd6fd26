using CompiledNets.Randomness;

namespace CompiledNets.Tests.Optimizers;

/// <summary>Parameters and gradients for the optimizer tests.</summary>
internal static class OptimizerTestData
{
    // 37 parameters: with vectors of 4, 8 or 16 floats, both the vectorized loop and the tail run.
    public const int Length = 37;

    /// <summary><see cref="Length"/> values uniform in [−scale, scale).</summary>
    public static float[] Values(ulong seed, double scale)
    {
        var rng = new SplitMix64(seed);
        var values = new float[Length];
        for (int i = 0; i < Length; i++) values[i] = (float)(scale * (2 * rng.NextDouble() - 1));
        return values;
    }

    /// <summary>Gradients over many magnitudes: 0, tiny (where ε matters), ordinary, and large (one in the tail).</summary>
    public static float[] Gradients(ulong seed)
    {
        float[] g = Values(seed, scale: 1);
        g[0] = 0f;
        g[1] = 1e-6f;
        g[2] = -3e-5f;
        g[3] = 1000f;
        g[Length - 1] = -250f;
        return g;
    }
}
