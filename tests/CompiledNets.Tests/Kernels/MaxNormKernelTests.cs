using System;
using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// <see cref="MaxNorm.Apply(Span{float}, int, int, float)"/> (columns) and <see cref="MaxNorm.ApplyRows(Span{float}, int, int, float)"/> (rows) on every level this machine runs, against a double
/// reference of Keras' formula: columns over the bound end at norm c·‖w‖/(1e-7 + ‖w‖), columns within it are untouched bit
/// for bit, nothing outside the matrix is written. Widths around the vector widths and across the 1,024-column block.
/// </summary>
public class MaxNormKernelTests
{
    // Tolerance: each rescaled weight within 1e-6 relative of the double reference. The float sum of squares over up to
    // 300 rows is off by at most ~300 roundings in the worst case, typically ~sqrt(300)·6e-8 ≈ 1e-6 of the squared norm,
    // half that on the norm; the factor and the product add two roundings. Leaving out Keras' ε changes no weight by
    // more than 1e-7·c/‖w‖, so this does not test the ε: A_tiny_bound_shows_Kerass_epsilon does.
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(300, 37)]
    [InlineData(3, 16)]
    [InlineData(20, 1025)]   // one whole block and a column in the next
    [InlineData(2, 2100)]
    public void Columns_over_the_bound_are_rescaled_and_the_others_are_untouched(int rows, int columns)
    {
        const float c = 1.5f;
        var rng = new SplitMix64((ulong)(rows * 10_000 + columns));
        var original = new float[rows * columns];
        // Column j is scaled so that about half the columns are over the bound (norm of a uniform column ≈ sqrt(rows/3)).
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++)
                original[r * columns + j] = (float)((2 * rng.NextDouble() - 1) * (j % 2 == 0 ? 3.0 : 0.3) * 2 / Math.Sqrt(rows));
        double[] norms = ColumnNorms(original, rows, columns);
        int over = 0;
        foreach (double n in norms) if (n > c) over++;
        Assert.InRange(over, columns == 1 ? 0 : 1, columns - (columns == 1 ? 0 : 1)); // both kinds are present

        foreach (SimdLevel level in SupportedLevels.All())
        {
            var w = new float[original.Length + 1];
            original.CopyTo(w, 0);
            w[^1] = 42f;
            MaxNorm.Apply(level, w.AsSpan(0, original.Length), rows, columns, c);
            Assert.Equal(42f, w[^1]);
            for (int j = 0; j < columns; j++)
            {
                // The kernel compares its float norm with c; a column within a rounding of c may go either way.
                bool nearBound = Math.Abs(norms[j] - c) <= 1e-5 * c;
                double scale = norms[j] > c ? c / (1e-7 + norms[j]) : 1;
                for (int r = 0; r < rows; r++)
                {
                    int i = r * columns + j;
                    if (norms[j] <= c && !nearBound)
                        Assert.True(BitConverter.SingleToInt32Bits(original[i]) == BitConverter.SingleToInt32Bits(w[i]),
                            $"{level}: column {j} (norm {norms[j]}) within the bound changed at row {r}: {original[i]:G9} -> {w[i]:G9}");
                    else if (!nearBound)
                    {
                        double expected = original[i] * scale;
                        Assert.True(Math.Abs(w[i] - expected) <= Tolerance * Math.Abs(expected),
                            $"{level}: column {j} (norm {norms[j]}), row {r}: {w[i]:G9} vs {expected:G9}");
                    }
                }
            }
            foreach (double n in ColumnNorms(w, rows, columns))
                Assert.True(n <= c * (1 + 1e-6), $"{level}: a column ends at norm {n:G9} > {c}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(6, 25)]    // LeNet's first convolution: 6 filters of 1 × 5 × 5
    [InlineData(16, 150)]  // its second: 16 filters of 6 × 5 × 5
    [InlineData(5, 16)]
    [InlineData(3, 33)]
    public void Rows_over_the_bound_are_rescaled_and_the_others_are_untouched(int rows, int length)
    {
        const float c = 0.8f;
        var rng = new SplitMix64((ulong)(rows * 1000 + length));
        var original = new float[rows * length];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < length; j++)
                original[r * length + j] = (float)((2 * rng.NextDouble() - 1) * (r % 2 == 0 ? 3.0 : 0.3) * 1.2 / Math.Sqrt(length));
        var norms = new double[rows];
        for (int i = 0; i < original.Length; i++) norms[i / length] += (double)original[i] * original[i];
        for (int r = 0; r < rows; r++) norms[r] = Math.Sqrt(norms[r]);
        Assert.Contains(norms, n => n > c);
        if (rows > 1) Assert.Contains(norms, n => n < c);

        foreach (SimdLevel level in SupportedLevels.All())
        {
            var w = new float[original.Length + 1];
            original.CopyTo(w, 0);
            w[^1] = 42f;
            MaxNorm.ApplyRows(level, w.AsSpan(0, original.Length), rows, length, c);
            Assert.Equal(42f, w[^1]);
            for (int i = 0; i < original.Length; i++)
            {
                double n = norms[i / length];
                if (Math.Abs(n - c) <= 1e-5 * c) continue;
                if (n < c)
                    Assert.True(BitConverter.SingleToInt32Bits(original[i]) == BitConverter.SingleToInt32Bits(w[i]), $"{level}: row {i / length} within the bound changed");
                else
                {
                    double expected = original[i] * (c / (1e-7 + n));
                    Assert.True(Math.Abs(w[i] - expected) <= Tolerance * Math.Abs(expected), $"{level}: [{i}] {w[i]:G9} vs {expected:G9}");
                }
            }
        }
    }

    [Fact]
    public void A_tiny_bound_shows_Kerass_epsilon()
    {
        // A tiny bound makes ε visible. c = 1e-6, ‖w‖ = 2e-6: Keras' factor c/(ε + ‖w‖) = 1e-6/2.1e-6, so the norm ends
        // at c·2/2.1 ≈ 0.952c, not c (5% off: a kernel without ε fails).
        float[] w = [2e-6f, 0f];   // [2, 1]: one column, norm 2e-6
        MaxNorm.Apply(w, rows: 2, columns: 1, maxNorm: 1e-6f);
        double expected = 2e-6f * (1e-6f / (1e-7 + 2e-6f));
        Assert.True(Math.Abs(w[0] - expected) <= 1e-6 * expected, $"{w[0]:G9} vs {expected:G9}");
        Assert.Equal(0f, w[1]);
    }

    [Fact]
    public void A_NaN_column_is_left_as_it_is_and_the_others_are_still_constrained()
    {
        float[] w = [float.NaN, 4f, 1f, 3f];   // [2, 2]: column 0 = (NaN, 1), column 1 = (4, 3), norm 5
        MaxNorm.Apply(w, rows: 2, columns: 2, maxNorm: 1f);
        Assert.True(float.IsNaN(w[0]));
        Assert.Equal(1f, w[2]);
        Assert.Equal(0.8, w[1], 1e-6);
        Assert.Equal(0.6, w[3], 1e-6);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_bound_that_is_not_positive_and_finite_is_rejected(float maxNorm)
    {
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => MaxNorm.Apply(new float[4], 2, 2, maxNorm)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => MaxNorm.ApplyRows(new float[4], 2, 2, maxNorm)).ParamName);
    }

    [Fact]
    public void A_short_span_is_rejected()
        => Assert.Equal("weights", Assert.Throws<ArgumentException>(() => MaxNorm.Apply(new float[5], 2, 3, 1f)).ParamName);

    internal static double[] ColumnNorms(ReadOnlySpan<float> w, int rows, int columns)
    {
        var norms = new double[columns];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++)
                norms[j] += (double)w[r * columns + j] * w[r * columns + j];
        for (int j = 0; j < columns; j++) norms[j] = Math.Sqrt(norms[j]);
        return norms;
    }
}
