using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>Training is a pure function of the seed and the data: no hidden global state, no thread timing.</summary>
public class TrainingReproducibilityTests
{
    private const int Steps = 100, Batch = 32, Batches = 4;

    [Fact]
    public void Reference_net_trained_twice_from_seed_one_ends_with_bit_identical_parameters()
    {
        (float[] inputs, int[] labels)[] data = FixedBatches();
        float[] initial = new ReferenceNet(seed: 1).Parameters.ToArray();

        float[] first = Train(data, out float firstLoss);
        float[] second = Train(data, out float secondLoss);

        Assert.True(first.AsSpan().SequenceEqual(second), "two runs from the same seed ended with different parameters");
        Assert.Equal(firstLoss, secondLoss);
        Assert.False(first.AsSpan().SequenceEqual(initial), "training did not change the parameters");
    }

    [Fact]
    public void Another_mask_seed_gives_other_parameters()
    {
        // The masks do take part: the same weights trained with another mask stream end elsewhere.
        (float[] inputs, int[] labels)[] data = FixedBatches();
        float[] reference = Train(data, out _, steps: 5);
        float[] reseeded = Train(data, out _, steps: 5, maskSeed: 2);
        Assert.False(reference.AsSpan().SequenceEqual(reseeded));
    }

    private static float[] Train((float[] inputs, int[] labels)[] data, out float lastLoss, int steps = Steps, ulong? maskSeed = null)
    {
        var net = new ReferenceNet(seed: 1);
        if (maskSeed is { } s) net.Reseed(s);
        var adam = new Adam();
        lastLoss = float.NaN;
        for (int step = 0; step < steps; step++)
        {
            var (inputs, labels) = data[step % data.Length];
            lastLoss = net.TrainStep(inputs, labels, adam);
        }
        return net.Parameters.ToArray();
    }

    /// <summary>A fixed set of pseudo-random batches: inputs in [0, 1) like pixel intensities, labels in 0..9.</summary>
    private static (float[] inputs, int[] labels)[] FixedBatches()
    {
        var data = new (float[], int[])[Batches];
        for (int b = 0; b < Batches; b++)
            data[b] = (TestData.Uniform(Batch * ReferenceNet.InputSize, seed: 100 + (ulong)b, 0, 1),
                       TestData.Labels(Batch, ReferenceNet.OutputSize, seed: 200 + (ulong)b));
        return data;
    }
}
