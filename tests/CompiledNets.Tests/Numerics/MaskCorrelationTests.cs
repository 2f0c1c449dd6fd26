using System;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using CompiledNets.Randomness;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Masks carry no correlation: between different units of one example, between the same unit of different examples,
/// and between one training step and the next (<see cref="MaskStatisticsNet"/>: 110 units at rates 0.1, 0.5, 0.8).
/// </summary>
/// <remarks>
/// Each kept/dropped indicator is standardized with its true keep probability, z = (kept − p) / √(p(1 − p)), so that for
/// a correct sampler every z has mean 0 and variance 1, and the product of two independent ones has mean 0, variance 1
/// and |z_a z_b| ≤ c = 9 (the largest |z| is 3, a dropped unit at p = 0.9). The correlation estimate of a pair over n
/// independent draws is r = mean(z_a z_b).
/// <para>Per pair: Bernstein's inequality bounds |r| by t with probability 1 − α/m, so with m pairs (Bonferroni) a
/// correct sampler fails with probability at most α = 1e-6; the seeds are fixed, so the test is deterministic.</para>
/// <para>All pairs together: n r² has mean 1 and variance ≈ 2 for each pair, and these are uncorrelated between pairs, so
/// Q = Σ n r² over m pairs is ≈ χ²(m): within 6 √(2m) of m, except with probability ≲ 1e-6 (normal approximation of a
/// χ² with m ≥ 120 degrees of freedom). This catches a weak correlation spread over many pairs that no single pair
/// shows: a common correlation of 0.01 adds 0.01² n ≥ 1.6 to each pair's expected n r², dozens of standard deviations of Q.
/// A control test feeds both statistics masks with a planted correlation and checks that they fail.</para>
/// </remarks>
public class MaskCorrelationTests(ITestOutputHelper output)
{
    private const int Batch = 16, Steps = 2000;
    private static readonly int[] s_widths = [37, 50, 23];
    private static readonly double[] s_rates = [0.1, 0.5, 0.8];
    private const double FamilyFalseAlarm = 1e-6, ProductBound = 9, ChiSquareSigmas = 6;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Different_units_of_one_example_are_uncorrelated(bool inverted)
        => AssertUncorrelated(BetweenUnits(Standardized(Record(inverted))));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void One_unit_in_different_examples_of_a_batch_is_uncorrelated(bool inverted)
        => AssertUncorrelated(BetweenExamples(Standardized(Record(inverted))));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_step_is_uncorrelated_with_the_next_for_every_pair_of_units(bool inverted)
        => AssertUncorrelated(BetweenSteps(Standardized(Record(inverted))));

    [Fact]
    public void The_statistics_detect_planted_correlations()
    {
        // Independent Bernoulli masks with the right keep probabilities pass; then three defects, each small:
        // (1) unit 60 copies unit 10 in 10% of draws; (2) every unit of example 3 copies example 2 in 5% of draws;
        // (3) every unit repeats its previous step's value in 3% of draws. Each must fail its statistic.
        bool[][] clean = Synthetic(seed: 1, (_, _, _, _) => null);
        Assert.True(BetweenUnits(Standardized(clean)).Passes);
        Assert.True(BetweenExamples(Standardized(clean)).Passes);
        Assert.True(BetweenSteps(Standardized(clean)).Passes);

        bool[][] units = Synthetic(seed: 2, (kept, u, i, r) => u == 60 && r < 0.1 ? kept[10][i] : null);
        Assert.False(BetweenUnits(Standardized(units)).Passes);
        bool[][] examples = Synthetic(seed: 3, (kept, u, i, r) => i % Batch == 3 && r < 0.05 ? kept[u][i - 1] : null);
        Assert.False(BetweenExamples(Standardized(examples)).Passes);
        bool[][] steps = Synthetic(seed: 4, (kept, u, i, r) => i >= Batch && r < 0.03 ? kept[u][i - Batch] : null);
        Assert.False(BetweenSteps(Standardized(steps)).Passes);
    }

    /// <summary>Largest |r| against its Bonferroni–Bernstein bound, and Σ n r² against m ± 6 √(2m).</summary>
    private sealed record Correlations(string What, int Pairs, long Draws, double WorstR, double AllowedR, double Q)
    {
        public double AllowedQ => ChiSquareSigmas * Math.Sqrt(2.0 * Pairs);

        public bool Passes => WorstR <= AllowedR && Math.Abs(Q - Pairs) <= AllowedQ;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Pairs} {What} pairs × {Draws} draws: max |r| = {WorstR:F4} (allowed {AllowedR:F4}); Σ n r² = {Q:F0}, expected {Pairs} ± {AllowedQ:F0}");
    }

    private void AssertUncorrelated(Correlations result)
    {
        output.WriteLine(result.ToString());
        Assert.True(result.WorstR <= result.AllowedR, "A pair of masks is correlated: " + result);
        Assert.True(Math.Abs(result.Q - result.Pairs) <= result.AllowedQ, "The masks are correlated over many pairs: " + result);
    }

    /// <summary>Every pair of different units, same step and example. <paramref name="z"/>: [unit][step × batch + example].</summary>
    private static Correlations BetweenUnits(float[][] z)
    {
        int units = z.Length, n = z[0].Length;
        int pairs = units * (units - 1) / 2;
        double q = 0, worst = 0;
        for (int a = 0; a < units; a++)
        {
            for (int c = a + 1; c < units; c++)
            {
                double r = TensorPrimitives.Dot(z[a], z[c]) / n;
                q += n * r * r;
                worst = Math.Max(worst, Math.Abs(r));
            }
        }
        return new("unit", pairs, n, worst, MaskStatistics.BernsteinHalfWidth(n, 1, ProductBound, FamilyFalseAlarm / pairs), q);
    }

    /// <summary>Every pair of different examples of a batch, same step and unit (draws: steps × units).</summary>
    private static Correlations BetweenExamples(float[][] z)
    {
        int units = z.Length, steps = z[0].Length / Batch, n = steps * units;
        float[][] rows = Enumerable.Range(0, Batch).Select(b =>
        {
            var row = new float[n];
            for (int step = 0; step < steps; step++)
                for (int u = 0; u < units; u++)
                    row[step * units + u] = z[u][step * Batch + b];
            return row;
        }).ToArray();
        int pairs = Batch * (Batch - 1) / 2;
        double q = 0, worst = 0;
        for (int a = 0; a < Batch; a++)
        {
            for (int b = a + 1; b < Batch; b++)
            {
                double r = TensorPrimitives.Dot(rows[a], rows[b]) / n;
                q += n * r * r;
                worst = Math.Max(worst, Math.Abs(r));
            }
        }
        return new("example", pairs, n, worst, MaskStatistics.BernsteinHalfWidth(n, 1, ProductBound, FamilyFalseAlarm / pairs), q);
    }

    /// <summary>
    /// Unit a at step 2k against unit c at step 2k + 1, same example, for every (a, c) including a = c (a unit's own
    /// lag-1 correlation). Disjoint step pairs, so the draws are independent.
    /// </summary>
    private static Correlations BetweenSteps(float[][] z)
    {
        int units = z.Length, halfSteps = z[0].Length / Batch / 2, n = halfSteps * Batch;
        float[][] first = new float[units][], next = new float[units][];
        for (int u = 0; u < units; u++)
        {
            first[u] = new float[n];
            next[u] = new float[n];
            for (int k = 0; k < halfSteps; k++)
            {
                z[u].AsSpan(2 * k * Batch, Batch).CopyTo(first[u].AsSpan(k * Batch));
                z[u].AsSpan((2 * k + 1) * Batch, Batch).CopyTo(next[u].AsSpan(k * Batch));
            }
        }
        int pairs = units * units;
        double q = 0, worst = 0;
        for (int a = 0; a < units; a++)
        {
            for (int c = 0; c < units; c++)
            {
                double r = TensorPrimitives.Dot(first[a], next[c]) / n;
                q += n * r * r;
                worst = Math.Max(worst, Math.Abs(r));
            }
        }
        return new("(unit, next-step unit)", pairs, n, worst, MaskStatistics.BernsteinHalfWidth(n, 1, ProductBound, FamilyFalseAlarm / pairs), q);
    }

    private static bool[][] Record(bool inverted)
    {
        if (inverted)
        {
            var net = new MaskStatisticsInvertedNet(maxBatchSize: Batch, seed: 22);
            return MaskStatistics.Record(net, net.DropoutMask, s_widths, Batch, Steps, seed: 7_000_001);
        }
        var atInference = new MaskStatisticsNet(maxBatchSize: Batch, seed: 21);
        return MaskStatistics.Record(atInference, atInference.DropoutMask, s_widths, Batch, Steps, seed: 7_000_000);
    }

    private static double[] KeepProbabilities() =>
        s_widths.SelectMany((width, layer) => Enumerable.Repeat(1 - s_rates[layer], width)).ToArray();

    private static float[][] Standardized(bool[][] kept)
    {
        double[] p = KeepProbabilities();
        return kept.Select((k, u) => MaskStatistics.Standardize(k, p[u])).ToArray();
    }

    /// <summary>
    /// Masks drawn independently with the right keep probabilities, in the layout of <see cref="MaskStatistics.Record"/>,
    /// except where <paramref name="defect"/>(masks so far, unit, draw index, uniform r) returns a value to use instead.
    /// </summary>
    private static bool[][] Synthetic(ulong seed, Func<bool[][], int, int, double, bool?> defect)
    {
        double[] p = KeepProbabilities();
        var rng = new SplitMix64(seed);
        int draws = Steps * Batch;
        bool[][] kept = p.Select(_ => new bool[draws]).ToArray();
        for (int i = 0; i < draws; i++)
            for (int u = 0; u < p.Length; u++)
                kept[u][i] = defect(kept, u, i, rng.NextDouble()) ?? rng.NextDouble() < p[u];
        return kept;
    }
}
