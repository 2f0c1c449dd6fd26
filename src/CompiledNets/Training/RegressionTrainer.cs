using System;

namespace CompiledNets;

/// <summary>
/// Trains a regression network (<see cref="LossFunction.MeanSquaredError"/>) on a <see cref="RegressionDataset"/> of
/// examples and real-valued targets in shuffled mini-batches, and evaluates its error. Training works as in
/// <see cref="Trainer{TNetwork}"/>: the shuffle order is a pure function of the seed, a step allocates nothing, and
/// checkpoints resume bit for bit.
/// </summary>
/// <typeparam name="TNetwork">The generated network type.</typeparam>
public sealed class RegressionTrainer<TNetwork> : Trainer<TNetwork, RegressionDataset> where TNetwork : IRegressionNetwork
{
    private readonly float[] _batchTargets; // [batchSize, OutputSize]

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
    public RegressionTrainer(TNetwork network, IOptimizer optimizer, int batchSize = 128, ulong shuffleSeed = 0, int threads = 1)
        : base(network, optimizer, batchSize, shuffleSeed, threads) => _batchTargets = new float[batchSize * network.OutputSize];

    /// <summary>
    /// Inference over <paramref name="data"/> (no dropout): the mean squared error over every output of every example
    /// (the network's loss) and the mean absolute error.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is empty or its inputs or targets are not the network's widths.</exception>
    public RegressionEvaluation Evaluate(RegressionDataset data)
    {
        (double squared, double absolute, int examples) = ScoreAll(data, nameof(data));
        double values = (double)examples * Network.OutputSize;
        return new RegressionEvaluation(squared / values, absolute / values);
    }

    private protected override (int Examples, int Features) Shape(RegressionDataset data, string paramName)
    {
        if (data.Outputs != Network.OutputSize)
            throw new ArgumentException(
                $"The data has {data.Outputs} targets per example but the network has {Network.OutputSize} outputs.", paramName);
        return (data.Count, data.Features);
    }

    private protected override ReadOnlySpan<float> Inputs(RegressionDataset data) => data.Inputs;

    private protected override void LoadTarget(RegressionDataset data, int example, int slot) =>
        data.Target(example).CopyTo(_batchTargets.AsSpan(slot * data.Outputs, data.Outputs));

    private protected override float TrainStep(ReadOnlySpan<float> inputs, int count) =>
        Network.TrainStep(inputs, _batchTargets.AsSpan(0, count * Network.OutputSize), Optimizer);

    /// <summary>The example's sums of squared and of absolute errors over its outputs, in double.</summary>
    private protected override (double, double) Score(RegressionDataset data, int example, ReadOnlySpan<float> outputs)
    {
        ReadOnlySpan<float> targets = data.Target(example);
        double squared = 0, absolute = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            double error = (double)outputs[i] - targets[i];
            squared += error * error;
            absolute += Math.Abs(error);
        }
        return (squared, absolute);
    }

    private protected override string? NonFiniteTarget(int count) =>
        FirstNonFinite(_batchTargets.AsSpan(0, count * Network.OutputSize), Network.OutputSize);
}

/// <summary>Inference-mode quality of a regression network on a data set.</summary>
/// <param name="Loss">Mean squared error over every output of every example: the network's loss, without dropout.</param>
/// <param name="MeanAbsoluteError">Mean absolute error over every output of every example.</param>
public readonly record struct RegressionEvaluation(double Loss, double MeanAbsoluteError)
{
    /// <summary>The square root of <see cref="Loss"/>, in the units of the targets.</summary>
    public double RootMeanSquaredError => Math.Sqrt(Loss);
}
