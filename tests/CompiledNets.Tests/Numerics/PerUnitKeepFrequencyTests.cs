using System;
using System.Globalization;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Each unit on its own, not just the average, is kept with frequency 1 − rate over many training steps, for rates 0.1,
/// 0.5 and 0.8 (<see cref="MaskStatisticsNet"/>: one dropout layer at each rate, 110 units in all).
/// </summary>
public class PerUnitKeepFrequencyTests(ITestOutputHelper output)
{
    private const int Batch = 16, Steps = 2000; // 32,000 draws per unit, 2,000 per (example row, unit) cell
    private static readonly int[] s_widths = [37, 50, 23];
    private static readonly double[] s_rates = [0.1, 0.5, 0.8];

    // Tolerance: unit u's kept count over n draws is Binomial(n, p). Bernstein's inequality (MaskStatistics.BernsteinHalfWidth,
    // |X − p| ≤ max(p, 1 − p), Var X = p(1 − p)) bounds |frequency − p| by t with probability 1 − α/m; with m checks, the
    // Bonferroni union bound makes the chance that a correct sampler fails any of them at most α = 1e-6 (the seeds are
    // fixed, so the test is deterministic). Per unit (m = 110, n = 32,000) t ≤ 0.018: a unit whose keep probability is
    // off by 0.02 — a rate applied to the wrong layer, a swapped rate/keep, one bad lane — fails. Per (row, unit) cell
    // (m = 1,760, n = 2,000) t ≤ 0.08: a row position that is always kept or always dropped fails.
    private const double FamilyFalseAlarm = 1e-6;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_unit_is_kept_with_frequency_one_minus_rate(bool inverted)
    {
        bool[][] kept = Record(inverted);
        double[] p = KeepProbabilities();
        int units = kept.Length;
        long n = (long)Steps * Batch;

        double worst = 0, widest = 0;
        for (int u = 0; u < units; u++)
        {
            int count = 0;
            foreach (bool k in kept[u]) count += k ? 1 : 0;
            double frequency = (double)count / n;
            double t = MaskStatistics.BernsteinHalfWidth(n, p[u] * (1 - p[u]), Math.Max(p[u], 1 - p[u]), FamilyFalseAlarm / units);
            widest = Math.Max(widest, t);
            worst = Math.Max(worst, Math.Abs(frequency - p[u]) / t);
            Assert.True(Math.Abs(frequency - p[u]) <= t, string.Create(CultureInfo.InvariantCulture,
                $"unit {u}: kept {frequency:F4}, expected {p[u]:F2} ± {t:F4}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{units} units × {n} draws: worst |frequency − p| / tolerance = {worst:F3}, tolerance ≤ {widest:F4}"));
        Assert.True(widest <= 0.02, "The test has too few draws to see a unit off by 0.02.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_example_row_and_unit_is_kept_with_frequency_one_minus_rate(bool inverted)
    {
        bool[][] kept = Record(inverted);
        double[] p = KeepProbabilities();
        int cells = kept.Length * Batch;

        double worst = 0;
        for (int u = 0; u < kept.Length; u++)
        {
            double t = MaskStatistics.BernsteinHalfWidth(Steps, p[u] * (1 - p[u]), Math.Max(p[u], 1 - p[u]), FamilyFalseAlarm / cells);
            for (int b = 0; b < Batch; b++)
            {
                int count = 0;
                for (int step = 0; step < Steps; step++) count += kept[u][step * Batch + b] ? 1 : 0;
                double frequency = (double)count / Steps;
                worst = Math.Max(worst, Math.Abs(frequency - p[u]) / t);
                Assert.True(Math.Abs(frequency - p[u]) <= t, string.Create(CultureInfo.InvariantCulture,
                    $"row {b}, unit {u}: kept {frequency:F4}, expected {p[u]:F2} ± {t:F4}"));
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cells} cells × {Steps} draws: worst |frequency − p| / tolerance = {worst:F3}"));
    }

    private static bool[][] Record(bool inverted)
    {
        if (inverted)
        {
            var net = new MaskStatisticsInvertedNet(maxBatchSize: Batch, seed: 12);
            return MaskStatistics.Record(net, net.DropoutMask, s_widths, Batch, Steps, seed: 20250611);
        }
        else
        {
            var net = new MaskStatisticsNet(maxBatchSize: Batch, seed: 11);
            return MaskStatistics.Record(net, net.DropoutMask, s_widths, Batch, Steps, seed: 20250610);
        }
    }

    /// <summary>p = 1 − rate of each unit, layer by layer.</summary>
    private static double[] KeepProbabilities()
    {
        var p = new double[110];
        int u = 0;
        for (int layer = 0; layer < s_widths.Length; layer++)
            for (int j = 0; j < s_widths[layer]; j++)
                p[u++] = 1 - s_rates[layer];
        return p;
    }
}
