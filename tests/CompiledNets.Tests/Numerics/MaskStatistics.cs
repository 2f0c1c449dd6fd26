using System;

namespace CompiledNets.Tests.Numerics;

/// <summary>A network's mask buffer for one dropout layer (the generated internal <c>DropoutMask(int)</c>).</summary>
internal delegate Span<float> MaskBuffer(int index);

/// <summary>Records the masks of many training forwards, and the concentration bound the statistical tests use.</summary>
internal static class MaskStatistics
{
    /// <summary>
    /// Runs <paramref name="steps"/> training forwards of <paramref name="batch"/> examples after <c>Reseed(seed)</c> and
    /// returns, per unit (the units of every dropout layer, in declaration order), whether it was kept, indexed by
    /// step × batch + example.
    /// </summary>
    public static bool[][] Record(ICompiledNetwork net, MaskBuffer masks, int[] widths, int batch, int steps, ulong seed)
    {
        int units = 0;
        foreach (int w in widths) units += w;
        var kept = new bool[units][];
        for (int u = 0; u < units; u++) kept[u] = new bool[steps * batch];

        var inputs = new float[batch * net.InputSize];
        net.Reseed(seed);
        for (int t = 0; t < steps; t++)
        {
            net.Forward(inputs, batch, training: true); // the masks do not depend on the inputs
            int unit = 0;
            for (int layer = 0; layer < widths.Length; layer++)
            {
                Span<float> mask = masks(layer);
                for (int j = 0; j < widths[layer]; j++, unit++)
                    for (int b = 0; b < batch; b++)
                        kept[unit][t * batch + b] = mask[b * widths[layer] + j] != 0f;
            }
        }
        return kept;
    }

    /// <summary>
    /// Bernstein's inequality solved for the half-width: for the mean of <paramref name="n"/> independent variables with
    /// |X − E X| ≤ <paramref name="bound"/> and Var X ≤ <paramref name="variance"/>,
    /// P(|mean − E X| ≥ t) ≤ 2 exp(−n t² / (2 variance + 2 bound t / 3)), which equals <paramref name="alpha"/> at
    /// t = (L·bound/3 + √(L²·bound²/9 + 2 n L variance)) / n with L = ln(2/alpha). Rigorous (no normal approximation).
    /// </summary>
    public static double BernsteinHalfWidth(long n, double variance, double bound, double alpha)
    {
        double l = Math.Log(2 / alpha);
        return (l * bound / 3 + Math.Sqrt(l * l * bound * bound / 9 + 2 * n * l * variance)) / n;
    }

    /// <summary>A kept/dropped indicator standardized with its true keep probability: mean 0, variance 1 if the sampler is right.</summary>
    public static float[] Standardize(bool[] kept, double p)
    {
        double sd = Math.Sqrt(p * (1 - p));
        float keptZ = (float)((1 - p) / sd), droppedZ = (float)(-p / sd);
        var z = new float[kept.Length];
        for (int i = 0; i < z.Length; i++) z[i] = kept[i] ? keptZ : droppedZ;
        return z;
    }
}
