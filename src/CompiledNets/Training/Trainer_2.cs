using System;
using System.Diagnostics;
using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets;

/// <summary>
/// What every trainer does, whatever the loss: epochs of shuffled mini-batches, the step and epoch counts, and
/// checkpoints. <see cref="Trainer{TNetwork}"/> trains classifiers on a <see cref="Dataset"/> and
/// <see cref="RegressionTrainer{TNetwork}"/> regression networks on a <see cref="RegressionDataset"/>; each adds the
/// <c>Evaluate</c> that fits its loss. The shuffle order is a pure function of the seed, so a run is reproducible from
/// its seeds alone. Only this library can derive from it.
/// </summary>
/// <typeparam name="TNetwork">The generated network type.</typeparam>
/// <typeparam name="TDataset">The kind of data set it trains on.</typeparam>
public abstract class Trainer<TNetwork, TDataset> where TNetwork : ICompiledNetwork where TDataset : class
{
    private readonly int _batchSize;
    private readonly float[] _batchInputs;   // [batchSize, InputSize]
    private readonly float[] _outputs;       // [MaxBatchSize, OutputSize], for evaluation
    private SplitMix64 _shuffle;
    private int[] _order = [];

    /// <summary>Checks the arguments and allocates every buffer a training step and an evaluation use.</summary>
    private protected Trainer(TNetwork network, IOptimizer optimizer, int batchSize, ulong shuffleSeed, int threads)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (batchSize < 1 || batchSize > network.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"Must be between 1 and the network's MaxBatchSize ({network.MaxBatchSize}).");
        network.Threads = KernelThreads.Check(threads, nameof(threads));
        Network = network;
        Optimizer = optimizer;
        _batchSize = batchSize;
        _batchInputs = new float[batchSize * network.InputSize];
        _outputs = new float[network.MaxBatchSize * network.OutputSize];
        _shuffle = new SplitMix64(shuffleSeed);
    }

    /// <summary>The network being trained.</summary>
    private protected TNetwork Network { get; }

    /// <summary>The optimizer every step uses.</summary>
    private protected IOptimizer Optimizer { get; }

    /// <summary>The number of training steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The number of completed epochs (<see cref="TrainEpoch"/> calls that finished).</summary>
    public long Epochs { get; private set; }

    /// <summary>
    /// One pass over <paramref name="data"/> in a freshly shuffled order, in batches of the trainer's batch size
    /// (the last batch may be smaller). Returns the mean training loss (with dropout) and the time taken. Allocates
    /// nothing unless the data set has a different number of examples than the last one.
    /// </summary>
    /// <param name="data">The training examples.</param>
    /// <param name="batchDone">Called after each step with the batches done and the batches in the epoch (for a progress bar).</param>
    /// <exception cref="ArgumentException"><paramref name="data"/> is empty or does not fit the network.</exception>
    /// <exception cref="NonFiniteLossException">A step's loss is NaN or infinite; the parameters are those after the last good step.</exception>
    public EpochResult TrainEpoch(TDataset data, Action<int, int>? batchDone = null)
    {
        int examples = CheckData(data, nameof(data));
        if (_order.Length != examples)
            _order = new int[examples];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        Shuffle(_order);

        long started = Stopwatch.GetTimestamp();
        double lossSum = 0;
        int features = Network.InputSize;
        ReadOnlySpan<float> inputs = Inputs(data);
        int batches = (examples + _batchSize - 1) / _batchSize;
        for (int start = 0; start < examples; start += _batchSize)
        {
            int count = Math.Min(_batchSize, examples - start);
            for (int j = 0; j < count; j++)
            {
                int example = _order[start + j];
                inputs.Slice(example * features, features).CopyTo(_batchInputs.AsSpan(j * features, features));
                LoadTarget(data, example, j);
            }
            ReadOnlySpan<float> batchInputs = _batchInputs.AsSpan(0, count * features);
            float loss;
            try
            {
                loss = TrainStep(batchInputs, count);
            }
            catch (NonFiniteLossException e)
            {
                throw Diverged(e, start / _batchSize, batchInputs, count);
            }
            lossSum += (double)loss * count;
            Steps++;
            batchDone?.Invoke(start / _batchSize + 1, batches);
        }
        Epochs++;
        return new EpochResult(lossSum / examples, Stopwatch.GetElapsedTime(started));
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
        CheckpointFile.Save(path, new CheckpointContent(CheckpointFile.LayoutOf(Network), Epochs, Steps, _shuffle.State,
            Network.MaskStreamState, optimizer.Description, state.ToArray(), Network.Parameters.ToArray()));
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
        string layout = CheckpointFile.LayoutOf(Network);
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
        content.Parameters.CopyTo(Network.Parameters);
        Network.MaskStreamState = content.MaskState;
        _shuffle.State = content.ShuffleState;
        (Epochs, Steps) = (content.Epochs, content.Steps);
    }

    /// <summary>
    /// Checks <paramref name="data"/> against the network (an <see cref="ArgumentException"/> naming
    /// <paramref name="paramName"/> if it does not fit or is empty) and returns its number of examples.
    /// </summary>
    private protected int CheckData(TDataset data, string paramName)
    {
        ArgumentNullException.ThrowIfNull(data, paramName);
        (int examples, int features) = Shape(data, paramName);
        if (features != Network.InputSize)
            throw new ArgumentException(
                $"The data has {features} features per example but the network takes {Network.InputSize}.", paramName);
        if (examples == 0)
            throw new ArgumentException("The data set is empty.", paramName);
        return examples;
    }

    /// <summary>
    /// Inference (no dropout) over every example of <paramref name="data"/>, in batches of the network's
    /// <see cref="ICompiledNetwork.MaxBatchSize"/>; returns the sums over the examples of the two figures
    /// <see cref="Score"/> gives each, and the number of examples.
    /// </summary>
    private protected (double First, double Second, int Examples) ScoreAll(TDataset data, string paramName)
    {
        int examples = CheckData(data, paramName);
        int batch = Network.MaxBatchSize, features = Network.InputSize, outputs = Network.OutputSize;
        ReadOnlySpan<float> inputs = Inputs(data);
        double first = 0, second = 0;
        for (int start = 0; start < examples; start += batch)
        {
            int count = Math.Min(batch, examples - start);
            Network.Predict(inputs.Slice(start * features, count * features), _outputs.AsSpan(0, count * outputs), count);
            for (int j = 0; j < count; j++)
            {
                (double a, double b) = Score(data, start + j, _outputs.AsSpan(j * outputs, outputs));
                first += a;
                second += b;
            }
        }
        return (first, second, examples);
    }

    /// <summary>
    /// The number of examples and of features per example of <paramref name="data"/>, after checking what only this kind
    /// of data set has (an <see cref="ArgumentException"/> naming <paramref name="paramName"/>).
    /// </summary>
    private protected abstract (int Examples, int Features) Shape(TDataset data, string paramName);

    /// <summary>Every input of <paramref name="data"/>, [examples, InputSize] row-major.</summary>
    private protected abstract ReadOnlySpan<float> Inputs(TDataset data);

    /// <summary>Copies the target of example <paramref name="example"/> into row <paramref name="slot"/> of the batch's targets.</summary>
    private protected abstract void LoadTarget(TDataset data, int example, int slot);

    /// <summary>One training step on <paramref name="inputs"/> and the first <paramref name="count"/> rows of the batch's targets.</summary>
    private protected abstract float TrainStep(ReadOnlySpan<float> inputs, int count);

    /// <summary>The two figures an evaluation sums for example <paramref name="example"/>, whose outputs are <paramref name="outputs"/>.</summary>
    private protected abstract (double, double) Score(TDataset data, int example, ReadOnlySpan<float> outputs);

    /// <summary>
    /// Says which target of the first <paramref name="count"/> rows of the batch's targets is not finite (such a target
    /// makes the loss NaN or infinite), or null if none is (or, as with class labels, none can be).
    /// </summary>
    private protected virtual string? NonFiniteTarget(int count) => null;

    /// <summary>"value v at example e of that batch", for the first value of <paramref name="values"/> that is not finite, or null.</summary>
    private protected static string? FirstNonFinite(ReadOnlySpan<float> values, int perExample)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                return $"value {values[i]} at example {i / perExample} of that batch";
        return null;
    }

    private IStatefulOptimizer StatefulOptimizer() =>
        Optimizer as IStatefulOptimizer ?? throw new InvalidOperationException(
            $"{Optimizer.GetType().Name} does not implement {nameof(IStatefulOptimizer)}, so its state cannot be checkpointed.");

    /// <summary>The same exception with where it happened, and whether the batch's inputs or targets were already bad.</summary>
    private NonFiniteLossException Diverged(NonFiniteLossException e, int batch, ReadOnlySpan<float> inputs, int count)
    {
        string cause = FirstNonFinite(inputs, Network.InputSize) is { } input ? $"input {input} is not finite"
            : NonFiniteTarget(count) is { } target ? $"target {target} is not finite"
            : "the data are finite, so training diverged (try a smaller learning rate)";
        return new NonFiniteLossException(
            $"Training stopped at step {Steps + 1} (batch {batch} of epoch {Epochs + 1}): the loss is {e.Loss}; {cause}. " +
            "The parameters are those after the last good step.", e.Loss, e);
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
}

/// <summary>What one training epoch did.</summary>
/// <param name="MeanLoss">Mean training loss over the epoch's examples (training mode, with dropout).</param>
/// <param name="Elapsed">Wall-clock time of the epoch's training steps.</param>
public readonly record struct EpochResult(double MeanLoss, TimeSpan Elapsed);
