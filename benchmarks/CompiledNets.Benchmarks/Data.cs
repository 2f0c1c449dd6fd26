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

    /// <summary>Inputs drawn uniformly from (0, 1]: dense, with no zero for the kernels to skip (as real images have).</summary>
    public static float[] RandomDense(int count, int features, ulong seed)
    {
        var values = new float[count * features];
        var rng = new Randomness.SplitMix64(seed);
        for (int i = 0; i < values.Length; i++) values[i] = ((rng.NextUInt64() >> 40) + 1) * (1f / (1 << 24));
        return values;
    }

    /// <summary>
    /// The inputs an inference benchmark takes in turn: the 10,000 Fashion-MNIST test images, or 2,048 random dense
    /// inputs (<see cref="RandomDense"/>, seed 7; 6.4 MB, so neither set stays in a cache).
    /// </summary>
    public static float[] InferenceInputs(InputKind kind) =>
        kind == InputKind.Images ? FashionMnist.Test.Images : RandomDense(2048, 784, seed: 7);

    /// <summary>Names a .safetensors file with <see cref="TrainedReference"/>'s weights (benchmarks/run.sh writes it once).</summary>
    public const string WeightsVariable = "COMPILEDNETS_REFERENCE_WEIGHTS";

    /// <summary>Names a .safetensors file with <see cref="TrainedLeNet"/>'s weights (benchmarks/run.sh writes it once).</summary>
    public const string LeNetWeightsVariable = "COMPILEDNETS_LENET_WEIGHTS";

    /// <summary>
    /// The reference network the inference benchmarks run: seed 1, trained for one epoch of Fashion-MNIST (Adam, batch
    /// 128, shuffle seed 1), since a trained first layer has other ReLU zeros than a random one. Read from the file
    /// named by <see cref="WeightsVariable"/> when it is set (so every level's tables run the same weights, and a run
    /// without AVX2 does not train an epoch for each benchmark); trained here otherwise.
    /// </summary>
    public static ReferenceNet TrainedReference() => Trained(new ReferenceNet(maxBatchSize: 128, seed: 1), WeightsVariable);

    /// <summary><see cref="LeNet"/> trained as <see cref="TrainedReference"/> is, its weights read from <see cref="LeNetWeightsVariable"/>'s file when it is set.</summary>
    public static LeNet TrainedLeNet() => Trained(new LeNet(maxBatchSize: 128, seed: 1), LeNetWeightsVariable);

    /// <summary><c>--train-reference PATH [LENET_PATH]</c>: trains the reference network (and LeNet) and saves the weights.</summary>
    public static void SaveTrained(string referencePath, string? leNetPath)
    {
        SafeTensors.Save(Trained(new ReferenceNet(maxBatchSize: 128, seed: 1), variable: null), referencePath);
        if (leNetPath is not null) SafeTensors.Save(Trained(new LeNet(maxBatchSize: 128, seed: 1), variable: null), leNetPath);
    }

    private static TNetwork Trained<TNetwork>(TNetwork net, string? variable) where TNetwork : IClassifierNetwork
    {
        if (variable is not null && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } path)
        {
            SafeTensors.Load(net, path);
            return net;
        }
        new Trainer<TNetwork>(net, new Adam(), batchSize: 128, shuffleSeed: 1).TrainEpoch(FashionMnist.Train);
        return net;
    }
}

/// <summary>What an inference benchmark is fed.</summary>
public enum InputKind
{
    /// <summary>Fashion-MNIST test images (about half the pixels are exactly zero).</summary>
    Images,
    /// <summary>Random dense inputs in (0, 1]: nothing for the zero-skipping kernels to skip in the first layer.</summary>
    Random,
}
