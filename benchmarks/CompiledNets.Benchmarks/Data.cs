using System;
using System.IO;

namespace CompiledNets.Benchmarks;

/// <summary>
/// Real inputs for the benchmarks: Fashion-MNIST from <c>/usr/share/datasets/fashion-mnist</c> (or <c>FASHION_MNIST_DIR</c>).
/// The kernels skip terms whose inputs are zero, so timings on random dense inputs would not be those of real images.
/// </summary>
internal static class Data
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    private static MnistData? s_data;

    public static string Directory => Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") is { Length: > 0 } dir ? dir : DefaultDirectory;

    public static MnistData FashionMnist
    {
        get
        {
            if (s_data is not null) return s_data;
            if (!System.IO.Directory.Exists(Directory))
                throw new DirectoryNotFoundException(
                    $"Fashion-MNIST not found in {Directory}: `apt-get install -y dataset-fashion-mnist`, or set FASHION_MNIST_DIR.");
            return s_data = Mnist.Load(Directory);
        }
    }

    /// <summary>
    /// The training set in a fixed shuffled order, cut into whole batches: <c>Batches</c> × <paramref name="batchSize"/>
    /// images (row-major) and labels. Benchmarks step through them in turn, as an epoch does, so that the network does
    /// not overfit one batch (which drives logits apart until softmax underflows into subnormal floats).
    /// </summary>
    public static (float[] Images, int[] Labels, int Batches) Epoch(int batchSize, ulong seed)
    {
        var train = FashionMnist.Train;
        int batches = train.Count / batchSize;
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var rng = new Randomness.SplitMix64(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt32(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var images = new float[batches * batchSize * train.Features];
        var labels = new int[batches * batchSize];
        for (int i = 0; i < labels.Length; i++)
        {
            train.Image(order[i]).CopyTo(images.AsSpan(i * train.Features, train.Features));
            labels[i] = train.Labels[order[i]];
        }
        return (images, labels, batches);
    }
}
