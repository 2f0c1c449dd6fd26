using System;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// [GaussianNoise(stdDev)]: N(0, σ²) added per unit while training (statistics in <see cref="NormalStatistics"/>), the
/// identity at inference, the gradient passed through, fresh noise for every Monte Carlo sample.
/// </summary>
public class GaussianNoiseTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_on_the_input_and_after_a_dense_layer_with_dropout_after_it_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckClassifier(new GaussianNoiseNet(maxBatchSize: 3, seed: 23), training, output);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_after_an_image_layer_followed_by_Gaussian_dropout_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckRegression(new GaussianNoiseImageNet(maxBatchSize: 3, seed: 24), training, output);

    [Fact]
    public void The_noise_has_mean_0_and_variance_stdDev_squared_independently_across_units_and_examples()
    {
        var net = new GaussianNoiseStatisticsNet(maxBatchSize: 16, seed: 1);
        float[] noise = NormalStatistics.Record(net, i => net.DropoutMask(i), 0, GaussianNoiseStatisticsNet.InputSize, 16, 200, seed: 43);
        NormalStatistics.AssertNormal(noise, GaussianNoiseStatisticsNet.InputSize, mean: 0, variance: 0.4 * 0.4);
    }

    [Fact]
    public void Training_adds_the_noise_to_each_unit_and_inference_is_the_identity()
    {
        const int batch = 4, inputs = GaussianNoiseStatisticsNet.InputSize, outputs = GaussianNoiseStatisticsNet.OutputSize;
        var net = new GaussianNoiseStatisticsNet(maxBatchSize: batch, seed: 2);
        float[] x = TestData.Gaussian(batch * inputs, seed: 37);
        float[] Expected(Func<int, float> noise) => GaussianDropoutTests.LinearReadOut(net, x, batch, (i, value) => value + noise(i));

        float[] trained = net.Forward(x, batch, training: true).ToArray();
        float[] noise = net.DropoutMask(0).Slice(0, batch * inputs).ToArray();
        Assert.Contains(noise, n => Math.Abs(n) > 0.1f); // noise was drawn
        GaussianDropoutTests.AssertClose(Expected(i => noise[i]), trained);
        GaussianDropoutTests.AssertClose(Expected(_ => 0f), net.Forward(x, batch, training: false).ToArray());
        var predicted = new float[batch * outputs];
        net.Predict(x, predicted, batch);
        GaussianDropoutTests.AssertClose(Expected(_ => 0f), predicted);
    }

    [Fact]
    public void The_read_out_learns_from_the_noisy_input_it_read()
    {
        // The noise is on the network's input, so only the read-out's weight gradient shows it: it must use x + noise.
        const int batch = 3, inputs = GaussianNoiseStatisticsNet.InputSize, outputs = GaussianNoiseStatisticsNet.OutputSize;
        var net = new GaussianNoiseStatisticsNet(maxBatchSize: batch, seed: 4);
        float[] x = TestData.Gaussian(batch * inputs, seed: 38);
        float[] targets = TestData.Gaussian(batch * outputs, seed: 39);
        float[] y = net.Forward(x, batch, training: true).ToArray();
        float[] noisy = net.DropoutMask(0).Slice(0, batch * inputs).ToArray();
        for (int i = 0; i < noisy.Length; i++) noisy[i] += x[i];
        net.Backward(targets);

        // d(mean squared error)/d(W[i, o]) = Σ_b 2 (y − t)[b, o] · noisy[b, i] / (batch · outputs)
        for (int i = 0; i < inputs; i++)
            for (int o = 0; o < outputs; o++)
            {
                double expected = 0;
                for (int b = 0; b < batch; b++)
                    expected += 2.0 * (y[b * outputs + o] - targets[b * outputs + o]) * noisy[b * inputs + i] / (batch * outputs);
                Assert.Equal(expected, net.Gradients[i * outputs + o], 1e-4);
            }
    }

    [Fact]
    public void Monte_Carlo_prediction_draws_fresh_noise_for_every_sample()
        => GaussianDropoutTests.AssertFreshNoisePerSample(new GaussianNoiseNet(maxBatchSize: 2, seed: 5), inputSeed: 40);

    [Fact]
    public void Layers_and_Summary_describe_each_noise_layer()
    {
        var net = new AllocationNoiseNet(maxBatchSize: 1, seed: 1);
        LayerInfo gaussianDropout = Assert.Single(net.Layers, l => l.Kind == "GaussianDropout");
        Assert.Equal("gaussianDropout1", gaussianDropout.Name);
        Assert.Equal(0.2, gaussianDropout.DropoutRate);
        Assert.Equal(new[] { 4, 10, 10 }, gaussianDropout.OutputShape);
        LayerInfo noise = Assert.Single(net.Layers, l => l.Kind == "GaussianNoise");
        Assert.Equal("stddev 0.1", noise.Details);
        Assert.Equal(new[] { 64 }, noise.InputShape);
        LayerInfo alpha = Assert.Single(net.Layers, l => l.Kind == "AlphaDropout");
        Assert.Equal(0.1, alpha.DropoutRate);
        Assert.Equal(Activation.SELU, net.Layers[System.Linq.Enumerable.ToList(net.Layers).IndexOf(alpha) - 1].Activation);
        string summary = net.Summary();
        Assert.Contains("gaussianDropout1 (GaussianDropout)", summary, StringComparison.Ordinal);
        Assert.Contains("stddev 0.1", summary, StringComparison.Ordinal);
        Assert.Contains("alphaDropout1 (AlphaDropout)", summary, StringComparison.Ordinal);
    }
}
