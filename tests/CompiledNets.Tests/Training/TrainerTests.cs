using System;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.Training;

[Network(2)]
[Dense(8, Activation.Tanh)]
[Dense(2)]
public partial class BlobNet;

public class TrainerTests
{
    /// <summary>Two well-separated Gaussian blobs: any working trainer separates them perfectly.</summary>
    private static Dataset Blobs(int count, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var images = new float[count * 2];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            labels[i] = label;
            float center = label == 0 ? -2f : 2f;
            images[2 * i] = center + 0.5f * (float)rng.NextGaussian();
            images[2 * i + 1] = -center + 0.5f * (float)rng.NextGaussian();
        }
        return new Dataset(images, labels, features: 2);
    }

    [Fact]
    public void Learns_separable_blobs()
    {
        var trainer = new Trainer<BlobNet>(new BlobNet(maxBatchSize: 16, seed: 3), new Adam(0.01f), batchSize: 16, shuffleSeed: 3);
        Dataset train = Blobs(500, 1), test = Blobs(200, 2);
        Evaluation before = trainer.Evaluate(test);
        for (int epoch = 0; epoch < 5; epoch++) trainer.TrainEpoch(train);
        Evaluation after = trainer.Evaluate(test);

        Assert.True(after.Accuracy >= 0.99, $"accuracy {after.Accuracy}");
        Assert.True(after.Loss < before.Loss / 4, $"loss {before.Loss} -> {after.Loss}");
        Assert.Equal(5 * 32, trainer.Steps); // 500 examples in batches of 16: 31 full + 1 partial per epoch
    }

    [Fact]
    public void Same_seeds_give_bit_identical_training()
    {
        float[] Train()
        {
            var network = new BlobNet(maxBatchSize: 16, seed: 5);
            var trainer = new Trainer<BlobNet>(network, new Adam(0.01f), batchSize: 16, shuffleSeed: 9);
            trainer.TrainEpoch(Blobs(300, 4));
            return network.Parameters.ToArray();
        }
        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void Different_shuffle_seeds_give_different_training()
    {
        float[] Train(ulong shuffleSeed)
        {
            var network = new BlobNet(maxBatchSize: 16, seed: 5);
            new Trainer<BlobNet>(network, new Adam(0.01f), batchSize: 16, shuffleSeed).TrainEpoch(Blobs(300, 4));
            return network.Parameters.ToArray();
        }
        Assert.NotEqual(Train(1), Train(2));
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        var network = new BlobNet(maxBatchSize: 16);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<BlobNet>(network, new Adam(), batchSize: 17));
        Assert.Equal("batchSize", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => new Trainer<BlobNet>(network, null!));

        var trainer = new Trainer<BlobNet>(network, new Adam(), batchSize: 16);
        var wrongWidth = new Dataset(new float[9], new int[3], features: 3);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => trainer.TrainEpoch(wrongWidth)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => trainer.Evaluate(wrongWidth)).ParamName);
    }
}
