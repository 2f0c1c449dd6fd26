using System;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Spatial dropout's masks: one value per example and channel that drops every pixel of the channel together, kept with
/// probability p, independently across channels and across examples. Bounds are Bernstein's at α = 1e-6 per check
/// (MaskStatistics.BernsteinHalfWidth), so a correct sampler fails one of them about once in a million runs.
/// </summary>
public class SpatialMaskTests
{
    private const int Channels = 64, Pixels = 9, Batch = 16, Steps = 200;
    private const double Keep = 0.7, Alpha = 1e-6;

    [Fact]
    public void A_dropped_channel_loses_every_pixel_and_a_kept_one_keeps_them_all()
    {
        var net = new SpatialMaskNet(maxBatchSize: Batch, seed: 1);
        // Conv: every filter copies the single input channel (weight 1, bias 0); Dense: a distinct weight per pixel.
        Span<float> parameters = net.Parameters;
        parameters.Slice(0, Channels).Fill(1f);
        parameters.Slice(Channels, Channels).Clear();
        float[] dense = TestData.Gaussian(Channels * Pixels, seed: 5);
        dense.CopyTo(parameters.Slice(2 * Channels));
        parameters[^1] = 0f;
        float[] inputs = TestData.Uniform(Batch * Pixels, seed: 6, low: 0.5, high: 1.5);

        net.Reseed(3);
        ReadOnlySpan<float> outputs = net.Forward(inputs, Batch, training: true);
        Span<float> mask = net.DropoutMask(0);
        for (int b = 0; b < Batch; b++)
        {
            double expected = 0;
            for (int c = 0; c < Channels; c++)
            {
                Assert.True(mask[b * Channels + c] is 0f or 1f, "AtInference scaling keeps channels unscaled");
                for (int i = 0; i < Pixels; i++)
                    expected += mask[b * Channels + c] * inputs[b * Pixels + i] * dense[c * Pixels + i];
            }
            Assert.Equal(expected, outputs[b], 1e-3);
        }
    }

    [Fact]
    public void Channels_are_kept_with_probability_p_independently_across_channels_and_examples()
    {
        var net = new SpatialMaskNet(maxBatchSize: Batch, seed: 1);
        bool[][] kept = MaskStatistics.Record(net, i => net.DropoutMask(i), [Channels], Batch, Steps, seed: 42);
        long n = (long)Channels * Batch * Steps;

        long keptCount = 0;
        foreach (bool[] channel in kept)
            foreach (bool k in channel) keptCount += k ? 1 : 0;
        double frequency = (double)keptCount / n;
        Assert.InRange(frequency, Keep - MaskStatistics.BernsteinHalfWidth(n, Keep * (1 - Keep), 1, Alpha),
            Keep + MaskStatistics.BernsteinHalfWidth(n, Keep * (1 - Keep), 1, Alpha));

        // Standardized indicators: the mean product of two independent ones is 0 with variance 1.
        float[][] z = Array.ConvertAll(kept, k => MaskStatistics.Standardize(k, Keep));
        double bound = Math.Max(Keep / (1 - Keep), (1 - Keep) / Keep); // the largest |z1 · z2|
        double sumChannels = 0, sumExamples = 0;
        long pairsChannels = 0, pairsExamples = 0;
        for (int c = 0; c + 1 < Channels; c++)
        {
            for (int e = 0; e < Batch * Steps; e++, pairsChannels++)
                sumChannels += z[c][e] * z[c + 1][e];
            for (int e = 0; e + 1 < Batch * Steps; e += 2, pairsExamples++)
                sumExamples += z[c][e] * z[c][e + 1];
        }
        Assert.InRange(sumChannels / pairsChannels, -MaskStatistics.BernsteinHalfWidth(pairsChannels, 1, bound, Alpha),
            MaskStatistics.BernsteinHalfWidth(pairsChannels, 1, bound, Alpha));
        Assert.InRange(sumExamples / pairsExamples, -MaskStatistics.BernsteinHalfWidth(pairsExamples, 1, bound, Alpha),
            MaskStatistics.BernsteinHalfWidth(pairsExamples, 1, bound, Alpha));
    }
}
