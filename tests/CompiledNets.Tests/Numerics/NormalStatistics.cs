using System;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Checks that samples look like independent draws of N(mean, variance): their mean, variance, the share within one
/// standard deviation (0.6827 for a normal, 0.5774 for a uniform of the same variance), and the correlation of neighbours
/// along each axis the caller names. Mean, variance and correlations use the normal approximation with 6 standard errors
/// (n ≥ 10⁵ here, a correct sampler fails one of them about once in 5·10⁸ runs); the share uses Bernstein's bound at α = 1e-6.
/// </summary>
internal static class NormalStatistics
{
    private const double Sigmas = 6, Alpha = 1e-6;

    /// <summary>
    /// <paramref name="samples"/>[i] as a [outer, inner] grid: neighbours along the inner axis (adjacent units) and along the
    /// outer one (adjacent examples) must be uncorrelated.
    /// </summary>
    public static void AssertNormal(float[] samples, int inner, double mean, double variance)
    {
        long n = samples.Length;
        double sum = 0;
        foreach (float x in samples) sum += x;
        double sampleMean = sum / n;
        double squares = 0;
        long withinOne = 0;
        double sd = Math.Sqrt(variance);
        foreach (float x in samples)
        {
            squares += (x - sampleMean) * (x - sampleMean);
            if (Math.Abs(x - mean) <= sd) withinOne++;
        }
        double sampleVariance = squares / (n - 1);

        double meanError = Sigmas * sd / Math.Sqrt(n);
        Assert.InRange(sampleMean, mean - meanError, mean + meanError);
        double varianceError = Sigmas * variance * Math.Sqrt(2.0 / (n - 1)); // Var(s²) = 2σ⁴ / (n − 1) for a normal
        Assert.InRange(sampleVariance, variance - varianceError, variance + varianceError);
        const double Within = 0.682689492137; // P(|Z| ≤ 1)
        double shareError = MaskStatistics.BernsteinHalfWidth(n, Within * (1 - Within), 1, Alpha);
        Assert.InRange((double)withinOne / n, Within - shareError, Within + shareError);

        // Standardized neighbours: the mean product of two independent ones is 0 with variance 1.
        double innerProducts = 0, outerProducts = 0;
        long innerPairs = 0, outerPairs = 0;
        for (long i = 0; i < n; i++)
        {
            double z = (samples[i] - mean) / sd;
            if ((i + 1) % inner != 0 && i + 1 < n) { innerProducts += z * (samples[i + 1] - mean) / sd; innerPairs++; }
            if (i + inner < n) { outerProducts += z * (samples[i + inner] - mean) / sd; outerPairs++; }
        }
        Assert.InRange(innerProducts / innerPairs, -Sigmas / Math.Sqrt(innerPairs), Sigmas / Math.Sqrt(innerPairs));
        Assert.InRange(outerProducts / outerPairs, -Sigmas / Math.Sqrt(outerPairs), Sigmas / Math.Sqrt(outerPairs));
    }

    /// <summary>
    /// The values a network's noise layer <paramref name="layer"/> held over <paramref name="steps"/> training forwards of
    /// <paramref name="batch"/> examples after <c>Reseed(seed)</c>, as [steps · batch, width].
    /// </summary>
    public static float[] Record(ICompiledNetwork net, MaskBuffer masks, int layer, int width, int batch, int steps, ulong seed)
    {
        var values = new float[steps * batch * width];
        var inputs = new float[batch * net.InputSize];
        net.Reseed(seed);
        for (int t = 0; t < steps; t++)
        {
            net.Forward(inputs, batch, training: true);
            masks(layer).Slice(0, batch * width).CopyTo(values.AsSpan(t * batch * width));
        }
        return values;
    }
}
