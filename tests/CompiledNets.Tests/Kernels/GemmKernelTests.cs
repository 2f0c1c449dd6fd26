using System;
using System.Collections.Generic;
using System.Linq;
using CompiledNets.Kernels;
using CompiledNets.Randomness;
using CsCheck;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// The register-blocked products (<see cref="Gemm"/>) on every instruction set this machine has, against a naive triple
/// loop in double, on odd sizes: every M from 1 (tiles of 3 rows and the 1-row kernel for the rest), N not a multiple of
/// the vector width (the masked last vector) and wide enough for every panel shape, K from 0, A with and without zeros
/// (the skipped terms), both layouts of A, and every finishing step. C sits between sentinels, so a write outside it fails.
/// </summary>
public class GemmKernelTests
{
    // Tolerance: each element is a sum of K ≤ 200 float products accumulated with fused multiply-adds, so its error is
    // at most about K·2⁻²⁴ of Σ|a·b| (1.2e-5 at K = 200); 2e-5 of Σ|a·b| (plus the activation's own few ulps) catches
    // any wrong, missing or doubled term, which moves the sum by one |a·b| — far more, as |a|, |b| ≥ 0.05 when not zero.
    private const double Relative = 2e-5;
    private const float Sentinel = -12345.678f;

    /// <summary>The instruction sets this machine runs (as ints: the enum is internal), each tested.</summary>
    public static TheoryData<int> Levels()
    {
        var levels = new TheoryData<int>();
        foreach (SimdLevel level in new[] { SimdLevel.Vector512, SimdLevel.Vector256, SimdLevel.Vector128, SimdLevel.Scalar })
            if (Simd.IsSupported(level)) levels.Add((int)level);
        return levels;
    }

    /// <summary>One product to check: sizes, layout, how sparse A is, and the finishing step.</summary>
    internal sealed record Case(int M, int N, int K, bool Transposed, double Zeros, GemmFinish Finish, Activation Activation, Dropout Dropout, ulong Seed);

    internal enum Dropout { None, Mask, Scale }

    private static readonly Gen<Case> s_cases = Gen.ULong.Select(seed =>
    {
        var rng = new SplitMix64(seed);
        double[] sparsity = [0.0, 0.5, 0.9];
        return new Case(
            M: 1 + rng.NextInt32(70), N: 1 + rng.NextInt32(70), K: rng.NextInt32(71),
            Transposed: rng.NextInt32(2) == 1, Zeros: sparsity[rng.NextInt32(3)],
            Finish: (GemmFinish)rng.NextInt32(3), Activation: (Activation)rng.NextInt32(5), Dropout: (Dropout)rng.NextInt32(3),
            Seed: rng.NextUInt64());
    });

    [Theory]
    [MemberData(nameof(Levels))]
    public void Column_panels_for_a_small_cache_match_the_naive_product(int level)
    {
        // With a 4 KB "L2" every B of more than a few rows is split into panels of 4 vectors of columns (blocking never
        // changes a result, so other tests running meanwhile are not affected).
        int saved = CacheSizes.L2Bytes;
        CacheSizes.L2Bytes = 4096;
        try
        {
            Assert.True(CacheSizes.PanelVectors(40, 16, 20) < 20);
            Check.Sample(s_cases, c => AssertMatchesNaive((SimdLevel)level, c), iter: 200);
            foreach (GemmFinish finish in new[] { GemmFinish.Forward, GemmFinish.BackwardInput, GemmFinish.None })
                foreach (Activation activation in new[] { Activation.ReLU, Activation.Tanh, Activation.SELU })
                    AssertMatchesNaive((SimdLevel)level, new Case(7, 200, 45, false, 0.3, finish, activation, Dropout.Mask, 17));
        }
        finally
        {
            CacheSizes.L2Bytes = saved;
        }
    }

    [Theory]
    [InlineData("512K", 512 * 1024)]
    [InlineData("1024K\n", 1024 * 1024)]
    [InlineData("2M", 2 * 1024 * 1024)]
    [InlineData("65536", 65536)]
    [InlineData("", null)]
    [InlineData("big", null)]
    [InlineData("-5K", null)]
    public void Cache_sizes_parse_as_sysfs_writes_them(string text, int? bytes)
        => Assert.Equal(bytes, CacheSizes.ParseSize(text.Replace("\\n", "\n")));

    [Theory]
    [MemberData(nameof(Levels))]
    public void Backward_input_without_an_activation_reads_no_activation_output(int level)
    {
        // The plain-loop path read the activation output (a null pointer) even without an activation.
        foreach (int n in new[] { 1, 2, 5, 16, 33 })
        {
            int m = 4, k = 3;
            var rng = new SplitMix64((ulong)n);
            float[] a = Values(m * k, ref rng), b = Values(k * n, ref rng), c = new float[m * n];
            Gemm.Multiply((SimdLevel)level, 1, c, a, transposedA: false, b, m, n, k, skipZeros: true, GemmFinish.BackwardInput,
                Activation.None, bias: default, mask: default, dropped: default, activationOutput: default, scale: 1f);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[p * n + j];
                    Assert.True(Math.Abs(c[i * n + j] - sum) <= 1e-5, $"n={n} C[{i},{j}] = {c[i * n + j]}, expected {sum}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void Random_sizes_from_1_to_70_match_the_naive_product(int level)
        => Check.Sample(s_cases, c => AssertMatchesNaive((SimdLevel)level, c), iter: 400);

    [Theory]
    [MemberData(nameof(Levels))]
    public void Every_panel_shape_and_row_remainder_matches_the_naive_product(int level)
    {
        // N from 1 to 5 vectors (the last panel) and beyond (panels of 4, then 1 to 5; the 1-row kernel's 8, 4, 2, 1),
        // at both vector widths, each just below, at and above a multiple of 8 and 16.
        int[] widths = [1, 7, 8, 9, 15, 16, 17, 31, 33, 47, 48, 49, 63, 64, 65, 79, 80, 81, 96, 100, 129, 200];
        ulong seed = 1;
        foreach (int n in widths)
            foreach (int m in new[] { 1, 2, 3, 4, 5, 7 })
                foreach (bool transposed in new[] { false, true })
                    AssertMatchesNaive((SimdLevel)level, new Case(m, n, 37, transposed, 0.5, GemmFinish.Forward, Activation.ReLU, Dropout.Mask, seed++));
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void Every_finishing_step_matches_the_naive_product(int level)
    {
        ulong seed = 100;
        foreach (GemmFinish finish in Enum.GetValues<GemmFinish>())
            foreach (Activation activation in Enum.GetValues<Activation>())
                foreach (Dropout dropout in Enum.GetValues<Dropout>())
                    foreach (int n in new[] { 5, 21, 70 })
                        AssertMatchesNaive((SimdLevel)level, new Case(7, n, 23, false, 0.3, finish, activation, dropout, seed++));
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void Skipping_zero_terms_gives_the_same_products_as_not_skipping(int level)
    {
        foreach (bool transposed in new[] { false, true })
        {
            var c = new Case(10, 37, 50, transposed, 0.7, GemmFinish.None, Activation.None, Dropout.None, 7);
            float[] skipping = Run((SimdLevel)level, c, skipZeros: true).C;
            float[] dense = Run((SimdLevel)level, c, skipZeros: false).C;
            // Leaving out exact zeros changes no sum (no infinities here): equal, bit for bit.
            Assert.Equal(dense, skipping);
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void Rows_split_between_parts_or_threads_give_identical_results(int level)
    {
        var c = new Case(67, 45, 31, false, 0.5, GemmFinish.Forward, Activation.ReLU, Dropout.Mask, 11);
        Operands whole = Run((SimdLevel)level, c, skipZeros: true);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            Operands split = Run((SimdLevel)level, c, skipZeros: true, threads: threads);
            Assert.Equal(whole.C, split.C);
            Assert.Equal(whole.Dropped, split.Dropped);
        }
    }

    private static void AssertMatchesNaive(SimdLevel level, Case c)
    {
        Operands o = Run(level, c, skipZeros: true);
        (double[] expected, double[] magnitude) = Naive(o, c);
        string where = $"{level} {c}";
        for (int i = 0; i < c.M; i++)
        {
            for (int j = 0; j < c.N; j++)
            {
                int at = i * c.N + j;
                double pre = expected[at];
                double bound = Relative * magnitude[at] + 1e-6;
                if (c.Finish == GemmFinish.Forward)
                {
                    double y = Activate(c.Activation, pre + o.Bias[j]);
                    double activationBound = bound + 2e-6 * Math.Abs(y) + (c.Activation is Activation.Tanh or Activation.Sigmoid or Activation.SELU ? 1e-6 : 0);
                    AssertClose(y, o.C[Padding + at], activationBound, where, i, j, "output");
                    if (c.Dropout != Dropout.None)
                    {
                        double kept = y * (c.Dropout == Dropout.Mask ? o.Mask[at] : o.Scale);
                        AssertClose(kept, o.Dropped[Padding + at], activationBound * 2, where, i, j, "dropped");
                    }
                }
                else if (c.Finish == GemmFinish.BackwardInput)
                {
                    double g = pre * (c.Dropout == Dropout.Mask ? o.Mask[at] : c.Dropout == Dropout.Scale ? o.Scale : 1.0);
                    double y = o.ActivationOutput[at];
                    double derivative = c.Activation switch
                    {
                        Activation.ReLU => y > 0 ? 1 : 0,
                        Activation.Tanh => 1 - y * y,
                        Activation.Sigmoid => y * (1 - y),
                        Activation.SELU => y > 0 ? 1.0507009873554805 : y + 1.0507009873554805 * 1.6732632423543772,
                        _ => 1,
                    };
                    AssertClose(g * derivative, o.C[Padding + at], bound * 2, where, i, j, "gradient");
                }
                else
                {
                    AssertClose(pre, o.C[Padding + at], bound, where, i, j, "product");
                }
            }
        }
        AssertSentinels(o.C, c.M * c.N, where, "C");
        if (o.Dropped.Length > 0) AssertSentinels(o.Dropped, c.M * c.N, where, "Dropped");
    }

    private static void AssertClose(double expected, float actual, double bound, string where, int i, int j, string what)
    {
        if (!(Math.Abs(actual - expected) <= bound))
            Assert.Fail($"{where}: {what}[{i}, {j}] = {actual:R}, expected {expected:R} ± {bound:G3}");
    }

    private static void AssertSentinels(float[] buffer, int length, string where, string what)
    {
        for (int i = 0; i < Padding; i++)
        {
            if (buffer[i] != Sentinel || buffer[Padding + length + i] != Sentinel)
                Assert.Fail($"{where}: a write outside {what}");
        }
    }

    private static double Activate(Activation activation, double z) => activation switch
    {
        Activation.ReLU => Math.Max(z, 0),
        Activation.Tanh => Math.Tanh(z),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        Activation.SELU => z > 0 ? 1.0507009873554805 * z : 1.0507009873554805 * 1.6732632423543772 * (Math.Exp(z) - 1),
        _ => z,
    };

    /// <summary>Cells of sentinels on each side of C and Dropped: more than a vector, so a stray vector store shows.</summary>
    private const int Padding = 32;

    private sealed class Operands
    {
        public required float[] A, B, C, Bias, Mask, Dropped, ActivationOutput;
        public float Scale;
    }

    /// <summary>The product of <paramref name="c"/> through <see cref="Gemm"/>; A is [M, K] or, transposed, stored [K, M].</summary>
    private static Operands Run(SimdLevel level, Case c, bool skipZeros, int threads = 1)
    {
        var rng = new SplitMix64(c.Seed);
        float[] a = new float[c.M * c.K];
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.NextDouble() < c.Zeros ? 0f : Value(ref rng);
        float[] b = Values(c.K * c.N, ref rng);
        float[] bias = Values(c.N, ref rng);
        float[] mask = new float[c.M * c.N];
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < 0.5 ? 0f : 2f;
        float[] activationOutput = new float[c.M * c.N];
        for (int i = 0; i < activationOutput.Length; i++)
            activationOutput[i] = c.Activation == Activation.ReLU ? Math.Max(0f, Value(ref rng)) : (float)rng.NextDouble();
        float[] output = Padded(c.M * c.N);
        float[] dropped = c.Finish == GemmFinish.Forward && c.Dropout != Dropout.None ? Padded(c.M * c.N) : [];
        float scale = 0.7f;

        Gemm.Multiply(level, threads, output.AsSpan(Padding, c.M * c.N), a, c.Transposed, b, c.M, c.N, c.K, skipZeros,
            c.Finish, c.Activation, bias,
            c.Dropout == Dropout.Mask ? mask : default,
            dropped.Length > 0 ? dropped.AsSpan(Padding, c.M * c.N) : default,
            activationOutput,
            c.Finish == GemmFinish.BackwardInput && c.Dropout == Dropout.None ? 1f : scale);
        return new Operands { A = a, B = b, C = output, Bias = bias, Mask = mask, Dropped = dropped, ActivationOutput = activationOutput, Scale = scale };
    }

    /// <summary>A(i, p)·B(p, j) summed in double, and Σ|A(i, p)·B(p, j)| for the tolerance.</summary>
    private static (double[] Product, double[] Magnitude) Naive(Operands o, Case c)
    {
        var product = new double[c.M * c.N];
        var magnitude = new double[c.M * c.N];
        for (int i = 0; i < c.M; i++)
            for (int j = 0; j < c.N; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < c.K; p++)
                {
                    double term = (double)(c.Transposed ? o.A[p * c.M + i] : o.A[i * c.K + p]) * o.B[p * c.N + j];
                    sum += term;
                    abs += Math.Abs(term);
                }
                product[i * c.N + j] = sum;
                magnitude[i * c.N + j] = abs;
            }
        return (product, magnitude);
    }

    /// <summary>Uniform in ±[0.05, 1): never zero, so only the zeros put in on purpose are skipped.</summary>
    private static float Value(ref SplitMix64 rng)
    {
        double u = rng.NextDouble();
        return (float)((0.05 + 0.95 * u) * (rng.NextDouble() < 0.5 ? -1 : 1));
    }

    private static float[] Values(int count, ref SplitMix64 rng)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = Value(ref rng);
        return values;
    }

    private static float[] Padded(int length)
    {
        var buffer = new float[length + 2 * Padding];
        buffer.AsSpan(0, Padding).Fill(Sentinel);
        buffer.AsSpan(Padding + length).Fill(Sentinel);
        return buffer;
    }
}
