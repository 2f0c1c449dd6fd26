using System;
using CompiledNets.Randomness;
using Dense = CompiledNets.Kernels.Dense;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// The public dense-layer kernels the generated code calls, against naive loops in double on odd shapes (every size from
/// 1 to 70 appears as batch, inputs or outputs), with one and two threads; and their argument checks, which guard the
/// unchecked pointer code behind them.
/// </summary>
public class DenseKernelTests
{
    // Sums of at most 70 products of values ≤ 1 accumulated in float: 1e-5 of Σ|terms| covers the rounding.
    private const double Relative = 1e-5;

    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        var rng = new SplitMix64(2024);
        for (int size = 1; size <= 70; size++)
        {
            // Each size once in each role, the other two random.
            shapes.Add(size, 1 + rng.NextInt32(70), 1 + rng.NextInt32(70));
            shapes.Add(1 + rng.NextInt32(70), size, 1 + rng.NextInt32(70));
            shapes.Add(1 + rng.NextInt32(70), 1 + rng.NextInt32(70), size);
        }
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_three_products_match_naive_loops_with_one_and_two_threads(int batch, int inputs, int outputs)
    {
        var rng = new SplitMix64((ulong)(batch * 10_000 + inputs * 100 + outputs));
        float[] x = Sparse(batch * inputs, ref rng);
        float[] w = Uniform(inputs * outputs, ref rng);
        float[] b = Uniform(outputs, ref rng);
        float[] dy = Sparse(batch * outputs, ref rng);
        float[] previousOutput = Sparse(batch * inputs, ref rng);
        float[] mask = new float[batch * inputs];
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < 0.5 ? 0f : 2f;

        foreach (int threads in new[] { 1, 2 })
        {
            var y = new float[batch * outputs];
            Dense.Forward(y, x, w, b, batch, inputs, outputs, Activation.ReLU, threads);
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < outputs; j++)
                {
                    (double sum, double abs) = Dot(inputs, p => x[r * inputs + p] * (double)w[p * outputs + j]);
                    AssertClose(Math.Max(0, sum + b[j]), y[r * outputs + j], abs + Math.Abs(b[j]), $"forward [{r}, {j}]");
                }

            var dx = new float[batch * inputs];
            Dense.BackwardInput(dx, dy, w, batch, inputs, outputs, Activation.ReLU, previousOutput, mask, threads);
            for (int r = 0; r < batch; r++)
                for (int i = 0; i < inputs; i++)
                {
                    (double sum, double abs) = Dot(outputs, j => dy[r * outputs + j] * (double)w[i * outputs + j]);
                    double gate = previousOutput[r * inputs + i] > 0 ? mask[r * inputs + i] : 0;
                    AssertClose(sum * gate, dx[r * inputs + i], abs * 2, $"backward input [{r}, {i}]");
                }

            var dw = new float[inputs * outputs];
            var db = new float[outputs];
            dw.AsSpan().Fill(float.NaN); // overwritten, not accumulated
            Dense.BackwardParameters(dw, db, dy, x, batch, inputs, outputs, threads);
            for (int i = 0; i < inputs; i++)
                for (int j = 0; j < outputs; j++)
                {
                    (double sum, double abs) = Dot(batch, r => x[r * inputs + i] * (double)dy[r * outputs + j]);
                    AssertClose(sum, dw[i * outputs + j], abs, $"weight gradient [{i}, {j}]");
                }
            for (int j = 0; j < outputs; j++)
            {
                (double sum, double abs) = Dot(batch, r => dy[r * outputs + j]);
                AssertClose(sum, db[j], abs, $"bias gradient [{j}]");
            }
        }
    }

    [Fact]
    public void Short_spans_and_bad_sizes_throw_before_anything_is_written()
    {
        var ok = new float[64];
        var shortSpan = new float[5];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Dense.Forward(shortSpan, ok, ok, ok, 2, 3, 4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => Dense.Forward(ok, shortSpan, ok, ok, 2, 3, 4)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Dense.Forward(ok, ok, shortSpan, ok, 2, 3, 4)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Dense.Forward(ok, ok, ok, new float[3], 2, 3, 4)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => Dense.Forward(ok, ok, ok, ok, 2, 3, 4, Activation.ReLU, ok, shortSpan)).ParamName);
        Assert.Equal("dropped", Assert.Throws<ArgumentException>(() => Dense.Forward(ok, ok, ok, ok, 2, 3, 4, Activation.ReLU, shortSpan, 0.5f)).ParamName);
        Assert.Equal("dInput", Assert.Throws<ArgumentException>(() => Dense.BackwardInput(shortSpan, ok, ok, 2, 3, 4)).ParamName);
        Assert.Equal("previousOutput", Assert.Throws<ArgumentException>(() => Dense.BackwardInput(ok, ok, ok, 2, 3, 4, Activation.ReLU, shortSpan)).ParamName);
        Assert.Equal("dWeights", Assert.Throws<ArgumentException>(() => Dense.BackwardParameters(shortSpan, ok, ok, ok, 2, 3, 4)).ParamName);
        Assert.Equal("dBias", Assert.Throws<ArgumentException>(() => Dense.BackwardParameters(ok, new float[3], ok, ok, 2, 3, 4)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dense.Forward(ok, ok, ok, ok, -1, 3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dense.Forward(ok, ok, ok, ok, 2, 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dense.Forward(ok, ok, ok, ok, 2, 3, 4, threads: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dense.Forward(ok, ok, ok, ok, 2, 3, 4, (Activation)42));
        Assert.All(ok, v => Assert.Equal(0f, v));
    }

    private static (double Sum, double Abs) Dot(int count, Func<int, double> term)
    {
        double sum = 0, abs = 0;
        for (int p = 0; p < count; p++)
        {
            double t = term(p);
            sum += t;
            abs += Math.Abs(t);
        }
        return (sum, abs);
    }

    private static void AssertClose(double expected, float actual, double magnitude, string what)
    {
        double bound = Relative * magnitude + 1e-7;
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual:R}, expected {expected:R} ± {bound:G3}");
    }

    private static float[] Uniform(int count, ref SplitMix64 rng)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(2 * rng.NextDouble() - 1);
        return values;
    }

    /// <summary>About 40% exact zeros, the rest in ±[0, 1).</summary>
    private static float[] Sparse(int count, ref SplitMix64 rng)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = rng.NextDouble() < 0.4 ? 0f : (float)(2 * rng.NextDouble() - 1);
        return values;
    }
}
