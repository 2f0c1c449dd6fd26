using System;
using System.Linq;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>The generated members beyond the core passes: tensor names, the mask stream position, Monte Carlo dropout.</summary>
public class NetworkSurfaceTests
{
    [Fact]
    public void Parameter_tensors_tile_the_parameter_vector_in_order()
    {
        var net = new ReferenceNet(maxBatchSize: 1);
        Assert.Equal(
            new[] { "dense1.weight [784, 200] at 0", "dense1.bias [200] at 156800", "dense2.weight [200, 100] at 157000",
                    "dense2.bias [100] at 177000", "dense3.weight [100, 10] at 177100", "dense3.bias [10] at 178100" },
            net.ParameterTensors.Select(t => t.ToString()));
        int next = 0;
        foreach (ParameterTensor tensor in net.ParameterTensors)
        {
            Assert.Equal(next, tensor.Offset);
            next += tensor.Length;
        }
        Assert.Equal(ReferenceNet.ParameterCount, next);
    }

    [Fact]
    public void Restoring_the_mask_stream_state_replays_the_same_masks()
    {
        var net = new SmallMixedNet(maxBatchSize: 4, seed: 3);
        float[] inputs = Enumerable.Range(0, 4 * SmallMixedNet.InputSize).Select(i => (float)Math.Sin(i)).ToArray();
        net.Forward(inputs, 4, training: true); // advance the stream somewhere
        ulong saved = net.MaskStreamState;
        float[] first = net.Forward(inputs, 4, training: true).ToArray();
        float[] second = net.Forward(inputs, 4, training: true).ToArray();
        Assert.NotEqual(first, second); // masks differ from pass to pass...

        net.MaskStreamState = saved;
        Assert.Equal(first, net.Forward(inputs, 4, training: true).ToArray()); // ...and replay exactly from a saved state
        Assert.Equal(second, net.Forward(inputs, 4, training: true).ToArray());
    }

    [Fact]
    public void Network_without_dropout_has_a_constant_mask_stream_state()
    {
        var net = new Training.BlobNet();
        net.MaskStreamState = 42;
        Assert.Equal(0UL, net.MaskStreamState);
    }

    [Fact]
    public void PredictSamples_gives_the_mean_and_spread_of_sampled_probabilities()
    {
        var net = new SmallMixedNet(maxBatchSize: 2, seed: 5);
        float[] inputs = Enumerable.Range(0, 2 * SmallMixedNet.InputSize).Select(i => (float)Math.Cos(i)).ToArray();
        const int Samples = 50;
        int n = 2 * SmallMixedNet.OutputSize;

        // The reference: the same 50 passes (same mask stream start), softmaxed, averaged in double.
        net.Reseed(9);
        var sum = new double[n];
        var sumSquares = new double[n];
        var probabilities = new float[n];
        for (int s = 0; s < Samples; s++)
        {
            Kernels.Losses.Softmax(net.Forward(inputs, 2, training: true), probabilities, 2, SmallMixedNet.OutputSize);
            for (int i = 0; i < n; i++) { sum[i] += probabilities[i]; sumSquares[i] += (double)probabilities[i] * probabilities[i]; }
        }

        net.Reseed(9);
        var mean = new float[n];
        var stdDev = new float[n];
        net.PredictSamples(inputs, Samples, mean, stdDev, batchSize: 2);
        for (int i = 0; i < n; i++)
        {
            double expectedMean = sum[i] / Samples;
            double expectedStd = Math.Sqrt(Math.Max(0, sumSquares[i] / Samples - expectedMean * expectedMean));
            // Float accumulation of 50 values in [0, 1]: a few 1e-7; 1e-5 leaves room for the E[x²]−E[x]² reference.
            Assert.True(Math.Abs(mean[i] - expectedMean) < 1e-5, $"mean[{i}] {mean[i]} vs {expectedMean}");
            Assert.True(Math.Abs(stdDev[i] - expectedStd) < 1e-4, $"std[{i}] {stdDev[i]} vs {expectedStd}");
        }
        Assert.Contains(stdDev, s => s > 1e-3f); // dropout makes the samples differ
        Assert.Equal(2.0, mean.Sum(), 4);         // two rows of probabilities
    }

    [Fact]
    public void PredictSamples_rejects_bad_arguments()
    {
        var net = new SmallMixedNet(maxBatchSize: 2);
        var inputs = new float[SmallMixedNet.InputSize];
        var mean = new float[SmallMixedNet.OutputSize];
        var std = new float[SmallMixedNet.OutputSize];
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => net.PredictSamples(inputs, 0, mean, std)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentException>(() => net.PredictSamples(inputs, 3, new float[2], std)).ParamName);
        Assert.Equal("stdDev", Assert.Throws<ArgumentException>(() => net.PredictSamples(inputs, 3, mean, new float[2])).ParamName);
    }
}
