using System;
using CompiledNets.Kernels;
using CompiledNets.Randomness;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// [GaussianDropout(rate)]: ε ~ N(1, rate / (1 − rate)) per unit while training (statistics in
/// <see cref="NormalStatistics"/>), the identity at inference, gradients through the same ε, fresh ε for every Monte
/// Carlo sample; and the normal sampler behind it.
/// </summary>
public class GaussianDropoutTests(ITestOutputHelper output)
{
    private const int Batch = 3;
    private const ulong MaskSeed = 777;
    // As in ImageGradientTests (smooth activations, h = 1e-2).
    private const float H = 1e-2f;
    private const double AbsoluteTolerance = 2e-4, RelativeTolerance = 5e-3;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_on_the_input_and_after_a_dense_layer_match_finite_differences(bool training)
        => CheckClassifier(new GaussianDropoutNet(maxBatchSize: Batch, seed: 21), training, output);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_after_image_layers_match_finite_differences(bool training)
        => CheckRegression(new GaussianDropoutImageNet(maxBatchSize: Batch, seed: 22), training, output);

    /// <summary>Finite differences of every parameter of a classifier, its noise fixed by Reseed before every loss.</summary>
    internal static void CheckClassifier(IClassifierNetwork net, bool training, ITestOutputHelper output, float h = H, double absoluteTolerance = AbsoluteTolerance)
    {
        float[] inputs = TestData.Gaussian(Batch * net.InputSize, seed: 31);
        int[] labels = TestData.Labels(Batch, net.OutputSize, seed: 32);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(labels);
        }
        Loss();
        net.Backward(labels);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), h, absoluteTolerance, RelativeTolerance, output);
    }

    /// <summary>As <see cref="CheckClassifier"/>, for a regression network.</summary>
    internal static void CheckRegression(IRegressionNetwork net, bool training, ITestOutputHelper output, float h = H, double absoluteTolerance = AbsoluteTolerance)
    {
        float[] inputs = TestData.Gaussian(Batch * net.InputSize, seed: 33);
        float[] targets = TestData.Gaussian(Batch * net.OutputSize, seed: 34);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(targets);
        }
        Loss();
        net.Backward(targets);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), h, absoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void Epsilon_has_mean_1_and_variance_rate_over_1_minus_rate_independently_across_units_and_examples()
    {
        var net = new GaussianDropoutStatisticsNet(maxBatchSize: 16, seed: 1);
        float[] epsilon = NormalStatistics.Record(net, i => net.DropoutMask(i), 0, GaussianDropoutStatisticsNet.InputSize, 16, 200, seed: 42);
        NormalStatistics.AssertNormal(epsilon, GaussianDropoutStatisticsNet.InputSize, mean: 1, variance: 0.3 / 0.7);
    }

    [Fact]
    public void Training_multiplies_each_unit_by_its_epsilon_and_inference_is_the_identity()
    {
        const int batch = 4, inputs = GaussianDropoutStatisticsNet.InputSize, outputs = GaussianDropoutStatisticsNet.OutputSize;
        var net = new GaussianDropoutStatisticsNet(maxBatchSize: batch, seed: 2);
        float[] x = TestData.Gaussian(batch * inputs, seed: 35);
        float[] Expected(Func<int, float> scale) => LinearReadOut(net, x, batch, (i, value) => value * scale(i));

        float[] trained = net.Forward(x, batch, training: true).ToArray();
        float[] epsilon = net.DropoutMask(0).Slice(0, batch * inputs).ToArray();
        Assert.Contains(epsilon, e => Math.Abs(e - 1) > 0.1f); // noise was drawn
        AssertClose(Expected(i => epsilon[i]), trained);
        AssertClose(Expected(_ => 1f), net.Forward(x, batch, training: false).ToArray());
        var predicted = new float[batch * outputs];
        net.Predict(x, predicted, batch);
        AssertClose(Expected(_ => 1f), predicted);
    }

    [Fact]
    public void Monte_Carlo_prediction_draws_fresh_epsilon_for_every_sample_reproducibly_after_Reseed()
    {
        var net = new GaussianDropoutNet(maxBatchSize: 2, seed: 3);
        float[] x = TestData.Gaussian(2 * GaussianDropoutNet.InputSize, seed: 36);
        var mean = new float[2 * GaussianDropoutNet.OutputSize];
        var spread = new float[mean.Length];
        var again = new float[mean.Length];
        var spreadAgain = new float[mean.Length];

        net.Reseed(5);
        net.PredictSamples(x, 30, mean, spread, batchSize: 2);
        net.Reseed(5);
        net.PredictSamples(x, 30, again, spreadAgain, batchSize: 2);

        Assert.All(spread, s => Assert.True(s > 1e-3f, $"standard deviation {s}: the samples did not differ"));
        Assert.Equal(mean, again);
        Assert.Equal(spread, spreadAgain);
        for (int b = 0; b < 2; b++)
        {
            float total = 0;
            for (int o = 0; o < GaussianDropoutNet.OutputSize; o++) total += mean[b * GaussianDropoutNet.OutputSize + o];
            Assert.Equal(1f, total, 1e-4f); // a mean of softmax probabilities
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(1500)]
    public void The_sampler_uses_one_stream_output_per_two_values_and_depends_on_the_seed_alone(int length)
    {
        var a = new float[length];
        var b = new float[length];
        var first = new SplitMix64(99);
        var second = new SplitMix64(99);
        GaussianNoise.Sample(a, mean: 1f, stdDev: 0.5f, ref first);
        GaussianNoise.Sample(b, mean: 1f, stdDev: 0.5f, ref second);

        Assert.Equal(a, b);
        Assert.Equal(99 + (ulong)((length + 1) / 2) * SplitMix64.Increment, first.State);
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
        if (length >= 2) Assert.NotEqual(a[0], a[^1]);

        // The same draws, standardized: a shift and a scale of the standard samples, value for value.
        var standard = new float[length];
        var third = new SplitMix64(99);
        GaussianNoise.Sample(standard, mean: 0f, stdDev: 1f, ref third);
        for (int i = 0; i < length; i++)
            Assert.Equal(1f + 0.5f * standard[i], a[i], 1e-6f);
    }

    [Fact]
    public void The_sampler_has_the_normal_distribution_and_fills_every_position_of_a_block()
    {
        // 1000 blocks of 513 values: an odd block length puts cosines and sines at every position and a lone cosine last.
        var values = new float[513 * 1000];
        var rng = new SplitMix64(7);
        for (int block = 0; block < 1000; block++)
            GaussianNoise.Sample(values.AsSpan(block * 513, 513), mean: 0f, stdDev: 2f, ref rng);
        NormalStatistics.AssertNormal(values, 513, mean: 0, variance: 4);
    }

    [Fact]
    public void A_zero_standard_deviation_gives_the_mean_exactly_and_bad_settings_throw()
    {
        var values = new float[9];
        var rng = new SplitMix64(1);
        GaussianNoise.Sample(values, mean: 1f, stdDev: 0f, ref rng);
        Assert.All(values, v => Assert.Equal(1f, v));
        Assert.Throws<ArgumentOutOfRangeException>("stdDev", () => { var r = new SplitMix64(1); GaussianNoise.Sample(new float[2], 0f, -1f, ref r); });
        Assert.Throws<ArgumentOutOfRangeException>("stdDev", () => { var r = new SplitMix64(1); GaussianNoise.Sample(new float[2], 0f, float.NaN, ref r); });
        Assert.Throws<ArgumentOutOfRangeException>("mean", () => { var r = new SplitMix64(1); GaussianNoise.Sample(new float[2], float.PositiveInfinity, 1f, ref r); });
    }

    /// <summary>
    /// What a network of one noise layer and a linear Dense read-out gives for <paramref name="x"/> when the noise layer
    /// turns input element i of value v into <c>layer(i, v)</c>: bias + Σ layer(i, x[i]) · W[i, o], in double.
    /// </summary>
    internal static float[] LinearReadOut(ICompiledNetwork net, float[] x, int batch, Func<int, float, float> layer)
    {
        int inputs = net.InputSize, outputs = net.OutputSize;
        ReadOnlySpan<float> weights = net.Parameters.Slice(0, inputs * outputs), bias = net.Parameters.Slice(inputs * outputs, outputs);
        var y = new float[batch * outputs];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (int i = 0; i < inputs; i++) sum += layer(b * inputs + i, x[b * inputs + i]) * weights[i * outputs + o];
                y[b * outputs + o] = (float)sum;
            }
        return y;
    }

    /// <summary>Monte Carlo prediction of two examples with 30 samples: every output must vary between the samples.</summary>
    internal static void AssertFreshNoisePerSample(ICompiledNetwork net, ulong inputSeed)
    {
        float[] x = TestData.Gaussian(2 * net.InputSize, seed: inputSeed);
        var mean = new float[2 * net.OutputSize];
        var spread = new float[mean.Length];
        net.PredictSamples(x, 30, mean, spread, batchSize: 2);
        Assert.All(spread, s => Assert.True(s > 1e-3f, $"standard deviation {s}: the samples did not differ"));
    }

    internal static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f + 1e-5f * Math.Abs(expected[i]), $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
