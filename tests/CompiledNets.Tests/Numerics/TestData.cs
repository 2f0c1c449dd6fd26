using CompiledNets.Randomness;

namespace CompiledNets.Tests.Numerics;

/// <summary>Reproducible pseudo-random inputs, targets and labels for the numerics tests.</summary>
internal static class TestData
{
    /// <summary><paramref name="count"/> standard normal values times <paramref name="scale"/>.</summary>
    public static float[] Gaussian(int count, ulong seed, double scale = 1.0)
    {
        var rng = new SplitMix64(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(scale * rng.NextGaussian());
        return values;
    }

    /// <summary><paramref name="count"/> values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static float[] Uniform(int count, ulong seed, double low, double high)
    {
        var rng = new SplitMix64(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(low + (high - low) * rng.NextDouble());
        return values;
    }

    /// <summary><paramref name="count"/> class indices uniform in [0, <paramref name="classes"/>).</summary>
    public static int[] Labels(int count, int classes, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var labels = new int[count];
        for (int i = 0; i < count; i++)
            labels[i] = rng.NextInt32(classes);
        return labels;
    }
}
