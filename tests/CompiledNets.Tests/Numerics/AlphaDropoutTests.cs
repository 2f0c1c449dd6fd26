using System;
using CompiledNets.Kernels;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// [AlphaDropout(rate)]: on SELU-distributed inputs the output keeps mean 0 and variance 1, a share rate of the units
/// take the dropped value a·α′ + b, the identity at inference, gradients through the same mask, the kernel the same at
/// every vector level.
/// </summary>
public class AlphaDropoutTests(ITestOutputHelper output)
{
    private const double Lambda = 1.0507009873554805, Alpha = 1.6732632423543772, AlphaPrime = -Lambda * Alpha;
    private const double Rate = 0.2, Keep = 1 - Rate;
    private static readonly double A = 1 / Math.Sqrt(Keep + AlphaPrime * AlphaPrime * Keep * (1 - Keep));
    private static readonly double B = -A * AlphaPrime * (1 - Keep);

    // SELU's derivative jumps at 0: the step and tolerance of SeluTests.
    private const float H = 1e-3f;
    private const double AbsoluteTolerance = 1e-3;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_on_the_input_and_after_a_SELU_dense_layer_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckClassifier(new AlphaDropoutNet(maxBatchSize: 3, seed: 27), training, output, H, AbsoluteTolerance);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_after_a_SELU_convolution_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckRegression(new AlphaDropoutImageNet(maxBatchSize: 3, seed: 28), training, output, H, AbsoluteTolerance);

    /// <summary>A statistics net whose read-out is the identity: its output is the dropout's output.</summary>
    private static AlphaDropoutStatisticsNet IdentityReadOut(int batch)
    {
        var net = new AlphaDropoutStatisticsNet(maxBatchSize: batch, seed: 1);
        Span<float> parameters = net.Parameters;
        parameters.Clear();
        for (int i = 0; i < AlphaDropoutStatisticsNet.InputSize; i++) parameters[i * AlphaDropoutStatisticsNet.InputSize + i] = 1f;
        return net;
    }

    /// <summary>SELU of standard normal values: mean ≈ 0 and variance ≈ 1 (SELU's fixed point).</summary>
    private static float[] SeluInputs(int count, ulong seed)
    {
        float[] z = TestData.Gaussian(count, seed);
        for (int i = 0; i < count; i++)
            z[i] = (float)(z[i] > 0 ? Lambda * z[i] : Lambda * Alpha * (Math.Exp(z[i]) - 1));
        return z;
    }

    [Fact]
    public void On_SELU_inputs_the_output_keeps_mean_0_and_variance_1_and_a_share_rate_is_dropped()
    {
        const int batch = 16, steps = 100, width = AlphaDropoutStatisticsNet.InputSize;
        var net = IdentityReadOut(batch);
        net.Reseed(44);
        double dropped = A * AlphaPrime + B;
        long n = 0, droppedCount = 0;
        double sum = 0, squares = 0, inputSum = 0, inputSquares = 0;
        var values = new double[(long)batch * steps * width];
        for (int t = 0; t < steps; t++)
        {
            float[] x = SeluInputs(batch * width, seed: 1000 + (ulong)t);
            ReadOnlySpan<float> y = net.Forward(x, batch, training: true);
            Span<float> mask = net.DropoutMask(0);
            for (int i = 0; i < batch * width; i++, n++)
            {
                values[n] = y[i];
                sum += y[i];
                inputSum += x[i];
                inputSquares += (double)x[i] * x[i];
                if (mask[i] == 0f)
                {
                    droppedCount++;
                    Assert.Equal((float)dropped, y[i], 1e-6f);
                }
                else
                {
                    Assert.Equal((float)A, mask[i]);
                    Assert.Equal(A * x[i] + B, y[i], 1e-5);
                }
            }
        }
        double mean = sum / n;
        foreach (double v in values) squares += (v - mean) * (v - mean);
        double variance = squares / (n - 1);
        double fourth = 0;
        foreach (double v in values) fourth += Math.Pow(v - mean, 4);
        fourth /= n;
        output.WriteLine($"inputs: mean {inputSum / n:G4}, variance {inputSquares / n - Math.Pow(inputSum / n, 2):G4}; outputs: mean {mean:G4}, variance {variance:G4}, dropped {(double)droppedCount / n:G4} of {n}");

        // The inputs themselves: SELU's fixed point, up to sampling error (6 standard errors, normal approximation at n ≈ 10⁵).
        Assert.InRange(inputSum / n, -6 / Math.Sqrt(n), 6 / Math.Sqrt(n));
        // Output mean: 6 standard errors. Variance: 6 standard errors of s², sqrt((m₄ − s⁴) / n) with the sample's own
        // fourth moment (the output is not normal: a point mass at the dropped value, and SELU's skew).
        Assert.InRange(mean, -6 * Math.Sqrt(variance / n), 6 * Math.Sqrt(variance / n));
        double varianceError = 6 * Math.Sqrt((fourth - variance * variance) / n);
        Assert.InRange(variance, 1 - varianceError, 1 + varianceError);
        // The dropped share: Bernstein at α = 1e-6, as the dropout mask tests.
        double share = (double)droppedCount / n, half = MaskStatistics.BernsteinHalfWidth(n, Rate * (1 - Rate), 1, 1e-6);
        Assert.InRange(share, Rate - half, Rate + half);
    }

    [Fact]
    public void Inference_is_the_identity()
    {
        var net = IdentityReadOut(4);
        float[] x = SeluInputs(4 * AlphaDropoutStatisticsNet.InputSize, seed: 64);
        float[] y = net.Forward(x, 4, training: false).ToArray();
        Assert.Equal(x, y);
        var predicted = new float[x.Length];
        net.Predict(x, predicted, 4);
        Assert.Equal(x, predicted);
    }

    [Fact]
    public void Monte_Carlo_prediction_draws_a_fresh_mask_for_every_sample()
        => GaussianDropoutTests.AssertFreshNoisePerSample(new AlphaDropoutNet(maxBatchSize: 2, seed: 6), inputSeed: 65);

    [Theory]
    [MemberData(nameof(FastKernels.GemmKernelTests.Levels), MemberType = typeof(FastKernels.GemmKernelTests))]
    public void The_kernel_gives_a_x_plus_b_where_kept_and_the_dropped_value_elsewhere_at_every_level(int level)
    {
        foreach (int length in new[] { 0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1001 })
        {
            float[] x = TestData.Gaussian(length, seed: (ulong)length);
            float[] mask = TestData.Uniform(length, seed: 70 + (ulong)length, 0, 1);
            for (int i = 0; i < length; i++) mask[i] = mask[i] < 0.3f ? 0f : (float)A;
            var y = new float[length + 1];
            y[length] = 12345f; // sentinel
            AlphaDropout.Forward((SimdLevel)level, y, x, mask, shift: (float)B, dropped: -0.75f);
            for (int i = 0; i < length; i++)
            {
                float expected = mask[i] == 0f ? -0.75f : MathF.FusedMultiplyAdd((float)A, x[i], (float)B);
                Assert.True(Math.Abs(expected - y[i]) <= 1e-6f * (1 + Math.Abs(expected)), $"length {length}, [{i}]: {y[i]}, expected {expected}");
                if (mask[i] == 0f) Assert.Equal(-0.75f, y[i]);
            }
            Assert.Equal(12345f, y[length]);
        }
        Assert.Throws<ArgumentException>("mask", () => AlphaDropout.Forward(new float[4], new float[4], new float[3], 0f, 0f));
        Assert.Throws<ArgumentException>("output", () => AlphaDropout.Forward(new float[3], new float[4], new float[4], 0f, 0f));
    }
}
