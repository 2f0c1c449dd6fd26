using System;

namespace CompiledNets;

/// <summary>
/// Trains a classifier network (<see cref="LossFunction.SoftmaxCrossEntropy"/>) on a <see cref="Dataset"/> of examples
/// and class labels in shuffled mini-batches, and evaluates its cross-entropy and accuracy. The shuffle order is a pure
/// function of the seed, so a run is reproducible from its seeds alone. For a regression network, use
/// <see cref="RegressionTrainer{TNetwork}"/>.
/// </summary>
/// <typeparam name="TNetwork">The generated network type.</typeparam>
public sealed class Trainer<TNetwork> : Trainer<TNetwork, Dataset> where TNetwork : IClassifierNetwork
{
    private readonly int[] _batchLabels;

    /// <summary>Creates a trainer.</summary>
    /// <param name="network">The network to train (its <see cref="ICompiledNetwork.MaxBatchSize"/> must be at least <paramref name="batchSize"/>).</param>
    /// <param name="optimizer">The optimizer, used for this network only.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="shuffleSeed">Seeds the order of examples in every epoch.</param>
    /// <param name="threads">
    /// Threads each training step (and evaluation) splits its batch between: sets the network's
    /// <see cref="IThreadedNetwork.Threads"/>, which stays set after training. The results do not depend on it.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> or <paramref name="threads"/> is out of range.</exception>
    public Trainer(TNetwork network, IOptimizer optimizer, int batchSize = 128, ulong shuffleSeed = 0, int threads = 1)
        : base(network, optimizer, batchSize, shuffleSeed, threads) => _batchLabels = new int[batchSize];

    /// <summary>Inference over <paramref name="data"/> (no dropout): mean cross-entropy and accuracy.</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is empty or its examples are not the network's width.</exception>
    public Evaluation Evaluate(Dataset data)
    {
        (double lossSum, double correct, int examples) = ScoreAll(data, nameof(data));
        return new Evaluation(lossSum / examples, correct / examples);
    }

    private protected override (int Examples, int Features) Shape(Dataset data, string paramName) => (data.Count, data.Features);

    private protected override ReadOnlySpan<float> Inputs(Dataset data) => data.Images;

    private protected override void LoadTarget(Dataset data, int example, int slot) => _batchLabels[slot] = data.Labels[example];

    private protected override float TrainStep(ReadOnlySpan<float> inputs, int count) =>
        Network.TrainStep(inputs, _batchLabels.AsSpan(0, count), Optimizer);

    /// <summary>The example's cross-entropy and whether its most probable class is its label (1 or 0).</summary>
    private protected override (double, double) Score(Dataset data, int example, ReadOnlySpan<float> probabilities)
    {
        int label = data.Labels[example];
        // log of a probability that underflowed to 0 is -inf; clamp so one hopeless example cannot make the mean infinite.
        return (-Math.Log(Math.Max(probabilities[label], 1e-30f)), ArgMax(probabilities) == label ? 1 : 0);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}

/// <summary>Inference-mode quality of a classifier on a data set.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction of examples whose most probable class is the label.</param>
public readonly record struct Evaluation(double Loss, double Accuracy);
