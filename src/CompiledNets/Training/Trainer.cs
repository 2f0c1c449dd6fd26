using System;
using System.Diagnostics;
using CompiledNets.Randomness;

namespace CompiledNets;

/// <summary>
/// Trains a classifier network on a <see cref="Dataset"/> in shuffled mini-batches and evaluates it.
/// The shuffle order is a pure function of the seed, so a run is reproducible from its seeds alone.
/// </summary>
/// <typeparam name="TNetwork">The generated network type.</typeparam>
public sealed class Trainer<TNetwork> where TNetwork : IClassifierNetwork
{
    private readonly TNetwork _network;
    private readonly IOptimizer _optimizer;
    private readonly int _batchSize;
    private readonly float[] _batchInputs;
    private readonly int[] _batchLabels;
    private readonly float[] _probabilities;
    private SplitMix64 _shuffle;
    private int[] _order = Array.Empty<int>();

    /// <summary>Creates a trainer.</summary>
    /// <param name="network">The network to train (its <see cref="ICompiledNetwork.MaxBatchSize"/> must be at least <paramref name="batchSize"/>).</param>
    /// <param name="optimizer">The optimizer, used for this network only.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="shuffleSeed">Seeds the order of examples in every epoch.</param>
    /// <param name="threads">
    /// Threads each training step (and evaluation) splits its batch between: sets the network's
    /// <see cref="IThreadedNetwork.Threads"/>, which stays set after training. The results do not depend on it.
    /// </param>
    public Trainer(TNetwork network, IOptimizer optimizer, int batchSize = 128, ulong shuffleSeed = 0, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (batchSize < 1 || batchSize > network.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"Must be between 1 and the network's MaxBatchSize ({network.MaxBatchSize}).");
        network.Threads = Kernels.KernelThreads.Check(threads, nameof(threads));
        _network = network;
        _optimizer = optimizer;
        _batchSize = batchSize;
        _batchInputs = new float[batchSize * network.InputSize];
        _batchLabels = new int[batchSize];
        _probabilities = new float[network.MaxBatchSize * network.OutputSize];
        _shuffle = new SplitMix64(shuffleSeed);
    }

    /// <summary>The number of training steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The number of completed epochs (<see cref="TrainEpoch"/> calls that finished).</summary>
    public long Epochs { get; private set; }

    /// <summary>
    /// One pass over <paramref name="data"/> in a freshly shuffled order, in batches of the trainer's batch size
    /// (the last batch may be smaller). Returns the mean training loss (with dropout) and the time taken.
    /// </summary>
    /// <param name="data">The training examples.</param>
    /// <param name="batchDone">Called after each step with the batches done and the batches in the epoch (for a progress bar).</param>
    public EpochResult TrainEpoch(Dataset data, Action<int, int>? batchDone = null)
    {
        CheckShape(data, nameof(data));
        if (_order.Length != data.Count)
            _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        Shuffle(_order);

        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        int features = data.Features;
        for (int start = 0; start < data.Count; start += _batchSize)
        {
            int count = Math.Min(_batchSize, data.Count - start);
            for (int j = 0; j < count; j++)
            {
                int example = _order[start + j];
                data.Image(example).CopyTo(_batchInputs.AsSpan(j * features, features));
                _batchLabels[j] = data.Labels[example];
            }
            float loss;
            try
            {
                loss = _network.TrainStep(_batchInputs.AsSpan(0, count * features), _batchLabels.AsSpan(0, count), _optimizer);
            }
            catch (NonFiniteLossException e)
            {
                throw Diverged(e, start / _batchSize, _batchInputs.AsSpan(0, count * features));
            }
            lossSum += (double)loss * count;
            Steps++;
            batchDone?.Invoke(start / _batchSize + 1, (data.Count + _batchSize - 1) / _batchSize);
        }
        Epochs++;
        return new EpochResult(lossSum / data.Count, clock.Elapsed);
    }

    /// <summary>Inference over <paramref name="data"/> (no dropout): mean cross-entropy and accuracy.</summary>
    public Evaluation Evaluate(Dataset data)
    {
        CheckShape(data, nameof(data));
        int batch = _network.MaxBatchSize;
        int classes = _network.OutputSize;
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += batch)
        {
            int count = Math.Min(batch, data.Count - start);
            ReadOnlySpan<float> inputs = data.Images.AsSpan(start * data.Features, count * data.Features);
            _network.Predict(inputs, _probabilities.AsSpan(0, count * classes), count);
            for (int j = 0; j < count; j++)
            {
                ReadOnlySpan<float> row = _probabilities.AsSpan(j * classes, classes);
                int label = data.Labels[start + j];
                // log of a probability that underflowed to 0 is -inf; clamp so one hopeless example cannot make the mean infinite.
                lossSum -= Math.Log(Math.Max(row[label], 1e-30f));
                if (ArgMax(row) == label) correct++;
            }
        }
        return new Evaluation(lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>
    /// Writes a checkpoint to <paramref name="path"/>: the parameters, the optimizer's state, the shuffle and mask
    /// streams, and the epoch and step counts, with a CRC-32. Atomic: the file is written beside the target, flushed and
    /// renamed, so a crash mid-save leaves the previous checkpoint intact. Resuming from it with
    /// <see cref="LoadCheckpoint"/> continues bit for bit as if training had never stopped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The optimizer cannot save its state (it is not an <see cref="IStatefulOptimizer"/>).</exception>
    public void SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        IStatefulOptimizer optimizer = StatefulOptimizer();
        using var state = new System.IO.MemoryStream();
        using (var writer = new System.IO.BinaryWriter(state))
            optimizer.WriteState(writer);
        CheckpointFile.Save(path, new CheckpointContent(CheckpointFile.LayoutOf(_network), Epochs, Steps, _shuffle.State,
            _network.MaskStreamState, optimizer.Description, state.ToArray(), _network.Parameters.ToArray()));
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer's network and optimizer. Everything
    /// is checked first (signature, checksum, the network's tensor names and shapes, the optimizer's kind and settings);
    /// on any mismatch an <see cref="System.IO.InvalidDataException"/> names the file and the fault and nothing changes.
    /// </summary>
    public void LoadCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        IStatefulOptimizer optimizer = StatefulOptimizer();
        CheckpointContent content = CheckpointFile.Load(path);
        string layout = CheckpointFile.LayoutOf(_network);
        if (content.Layout != layout)
            throw CheckpointFile.Invalid(path, $"was saved from a network with tensors {content.Layout}; this one has {layout}");
        if (content.OptimizerDescription != optimizer.Description)
            throw CheckpointFile.Invalid(path, $"holds the state of {content.OptimizerDescription}; this trainer uses {optimizer.Description}");
        try
        {
            // Read into the optimizer last: everything that can still fail has been checked by then.
            using var reader = new System.IO.BinaryReader(new System.IO.MemoryStream(content.OptimizerState));
            optimizer.ReadState(reader, content.Parameters.Length);
        }
        catch (Exception e) when (e is System.IO.EndOfStreamException or System.IO.InvalidDataException)
        {
            throw CheckpointFile.Invalid(path, "has optimizer state that does not fit: " + e.Message);
        }
        content.Parameters.CopyTo(_network.Parameters);
        _network.MaskStreamState = content.MaskState;
        _shuffle.State = content.ShuffleState;
        (Epochs, Steps) = (content.Epochs, content.Steps);
    }

    private IStatefulOptimizer StatefulOptimizer() =>
        _optimizer as IStatefulOptimizer ?? throw new InvalidOperationException(
            $"{_optimizer.GetType().Name} does not implement {nameof(IStatefulOptimizer)}, so its state cannot be checkpointed.");

    /// <summary>The same exception with where it happened, and whether the batch's inputs were already bad.</summary>
    private NonFiniteLossException Diverged(NonFiniteLossException e, int batch, ReadOnlySpan<float> inputs)
    {
        int bad = -1;
        for (int i = 0; i < inputs.Length && bad < 0; i++)
            if (!float.IsFinite(inputs[i])) bad = i;
        string cause = bad >= 0
            ? $"input value {inputs[bad]} at example {bad / _network.InputSize} of that batch is not finite"
            : "the inputs are finite, so training diverged (try a smaller learning rate)";
        return new NonFiniteLossException(
            $"Training stopped at step {Steps + 1} (batch {batch} of epoch {Epochs + 1}): the loss is {e.Loss}; {cause}. " +
            "The parameters are those after the last good step.", e.Loss, e);
    }

    private void CheckShape(Dataset data, string paramName)
    {
        ArgumentNullException.ThrowIfNull(data, paramName);
        if (data.Features != _network.InputSize)
            throw new ArgumentException(
                $"The data has {data.Features} features per example but the network takes {_network.InputSize}.", paramName);
        if (data.Count == 0)
            throw new ArgumentException("The data set is empty.", paramName);
    }

    /// <summary>Fisher–Yates with the trainer's seeded stream.</summary>
    private void Shuffle(int[] order)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = _shuffle.NextInt32(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}

/// <summary>What one training epoch did.</summary>
/// <param name="MeanLoss">Mean training loss over the epoch's examples (training mode, with dropout).</param>
/// <param name="Elapsed">Wall-clock time of the epoch's training steps.</param>
public readonly record struct EpochResult(double MeanLoss, TimeSpan Elapsed);

/// <summary>Inference-mode quality of a network on a data set.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction of examples whose most probable class is the label.</param>
public readonly record struct Evaluation(double Loss, double Accuracy);
