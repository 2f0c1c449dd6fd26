using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Backward overwrites Gradients (never accumulates) and depends only on the last Forward: the same parameters, inputs
/// and masks give bit-identical gradients whatever ran before (larger batches, other masks, earlier Backward calls).
/// Exact comparison: the same float operations in the same order must give the same bits.
/// </summary>
public class BackwardOverwriteTests
{
    private const int MaxBatch = 8;

    [Fact]
    public void Backward_twice_gives_the_same_gradients()
    {
        var net = new SmallMixedNet(maxBatchSize: MaxBatch, seed: 4);
        float[] x = TestData.Gaussian(MaxBatch * SmallMixedNet.InputSize, seed: 40);
        int[] labels = TestData.Labels(MaxBatch, SmallMixedNet.OutputSize, seed: 41);
        net.Forward(x, MaxBatch, training: true);
        net.Backward(labels);
        float[] first = net.Gradients.ToArray();
        net.Backward(labels);
        Assert.True(net.Gradients.SequenceEqual(first));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Gradients_after_a_larger_batch_equal_those_of_a_fresh_network(int batch)
    {
        float[] big = TestData.Gaussian(MaxBatch * SmallMixedNet.InputSize, seed: 42);
        int[] bigLabels = TestData.Labels(MaxBatch, SmallMixedNet.OutputSize, seed: 43);
        float[] small = TestData.Gaussian(batch * SmallMixedNet.InputSize, seed: 44);
        int[] smallLabels = TestData.Labels(batch, SmallMixedNet.OutputSize, seed: 45);

        var used = new SmallMixedNet(maxBatchSize: MaxBatch, seed: 4);
        var sgd = new Sgd(0.1f);
        for (int i = 0; i < 3; i++) used.TrainStep(big, bigLabels, sgd); // full-size buffers, nonzero gradients
        var fresh = new SmallMixedNet(maxBatchSize: MaxBatch, seed: 0);
        used.Parameters.CopyTo(fresh.Parameters);

        foreach (bool training in new[] { true, false })
        {
            used.Reseed(5);
            fresh.Reseed(5);
            Assert.True(used.Forward(small, batch, training).SequenceEqual(fresh.Forward(small, batch, training)));
            used.Backward(smallLabels);
            fresh.Backward(smallLabels);
            Assert.True(used.Gradients.SequenceEqual(fresh.Gradients), $"training: {training}");
            Assert.Equal(fresh.Loss(smallLabels), used.Loss(smallLabels));
        }
    }
}
