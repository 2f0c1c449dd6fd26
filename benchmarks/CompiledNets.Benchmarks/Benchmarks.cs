using System;
using BenchmarkDotNet.Attributes;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// One training step (forward with fresh dropout masks, loss, backward, Adam) on batches of 128 real Fashion-MNIST images,
/// taken in turn from a shuffled epoch, as training does.
/// </summary>
public abstract class TrainStepBenchmark<TNetwork> where TNetwork : IClassifierNetwork
{
    private float[] _images = [];
    private int[] _labels = [];
    private int _batches, _next;
    private TNetwork _net = default!;
    private Adam _adam = null!;

    /// <summary>The network, seed 1, batches of up to 128.</summary>
    protected abstract TNetwork Create();

    [GlobalSetup]
    public void Setup()
    {
        (_images, _labels, _batches) = Data.Epoch(128, seed: 1);
        _net = Create();
        _adam = new Adam();
    }

    [Benchmark]
    public float TrainStep()
    {
        int b = _next++ % _batches, n = 128 * _net.InputSize;
        return _net.TrainStep(_images.AsSpan(b * n, n), _labels.AsSpan(b * 128, 128), _adam);
    }
}

/// <summary>The reference network's train step (<see cref="TrainStepBenchmark{TNetwork}"/>), with 1 and 2 threads.</summary>
[Config(typeof(ShortConfig))]
public class TrainStepBenchmarks : TrainStepBenchmark<ReferenceNet>
{
    /// <summary>Threads the network splits each batch between.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    protected override ReferenceNet Create() => new(maxBatchSize: 128, seed: 1) { Threads = Threads };
}

/// <summary>The wide network's train step (784-1024-1024-10, <see cref="WideNet"/>), one thread.</summary>
[Config(typeof(ShortConfig))]
public class WideTrainStepBenchmarks : TrainStepBenchmark<WideNet>
{
    protected override WideNet Create() => new(maxBatchSize: 128, seed: 1);
}

/// <summary><see cref="LeNet"/>'s train step, one thread.</summary>
[Config(typeof(ShortConfig))]
public class LeNetTrainStepBenchmarks : TrainStepBenchmark<LeNet>
{
    protected override LeNet Create() => new(maxBatchSize: 128, seed: 1);
}

/// <summary>
/// Inference (no dropout, softmax probabilities) of a trained network, on real Fashion-MNIST test images or on random
/// dense inputs, taken in turn, 1 or 128 a call.
/// </summary>
public abstract class InferenceBenchmark
{
    private float[] _inputs = [];
    private int _count, _next, _inputSize, _outputSize;
    private ICompiledNetwork _net = null!;
    private float[] _probabilities = [];

    /// <summary>Images per call.</summary>
    [Params(1, 128)]
    public int Batch { get; set; }

    /// <summary>Real images, or random dense inputs (nothing to skip in the first layer).</summary>
    [Params(InputKind.Images, InputKind.Random)]
    public InputKind Input { get; set; }

    /// <summary>The trained network (<see cref="Data"/>).</summary>
    protected abstract ICompiledNetwork Create();

    [GlobalSetup]
    public void Setup()
    {
        _net = Create();
        (_inputSize, _outputSize) = (_net.InputSize, _net.OutputSize);
        _inputs = Data.InferenceInputs(Input);
        _count = _inputs.Length / _inputSize / Batch;
        _probabilities = new float[Batch * _outputSize];
    }

    [Benchmark]
    public void Predict()
    {
        int i = _next++ % _count;
        int n = Batch * _inputSize;
        _net.Predict(_inputs.AsSpan(i * n, n), _probabilities, Batch);
    }
}

/// <summary>The trained reference network's inference (<see cref="InferenceBenchmark"/>), with 1 and 2 threads.</summary>
[Config(typeof(ShortConfig))]
public class InferenceBenchmarks : InferenceBenchmark
{
    /// <summary>Threads the network splits each batch between.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    protected override ICompiledNetwork Create()
    {
        ReferenceNet net = Data.TrainedReference();
        net.Threads = Threads;
        return net;
    }
}

/// <summary>The trained <see cref="LeNet"/>'s inference, one thread.</summary>
[Config(typeof(ShortConfig))]
public class LeNetInferenceBenchmarks : InferenceBenchmark
{
    protected override ICompiledNetwork Create() => Data.TrainedLeNet();
}

/// <summary>Dropout mask sampling: the masks of one reference-network step (128 × (200 + 100) elements), and a large one.</summary>
[Config(typeof(ShortConfig))]
public class MaskBenchmarks
{
    private float[] _mask = [];
    private Randomness.SplitMix64 _rng = Dropout.CreateMaskStream(1);

    /// <summary>Elements per mask.</summary>
    [Params(128 * 300, 1 << 20)]
    public int Elements { get; set; }

    [GlobalSetup]
    public void Setup() => _mask = new float[Elements];

    [Benchmark]
    public void SampleMask() => Dropout.SampleMask(_mask, keepProbability: 0.5f, keptValue: 1f, ref _rng);
}

/// <summary>
/// The first layer's forward product on a batch of 128 real images (128 × 784 by 784 × 200, with bias, ReLU and the
/// dropout mask) and its weight gradient, and one Adam step over the reference network's 178,110 parameters.
/// </summary>
[Config(typeof(ShortConfig))]
public class KernelBenchmarks
{
    private float[] _images = [], _weights = [], _bias = [], _output = [], _mask = [], _dropped = [], _dOutput = [], _dWeights = [], _dBias = [];
    private float[] _parameters = [], _gradients = [];
    private static readonly System.Collections.Generic.IReadOnlyList<ParameterTensor> s_layout = new ReferenceNet().ParameterTensors;
    private Adam _adam = null!;

    /// <summary>Threads the product is split between.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_images, _, _) = Data.Epoch(128, seed: 4);
        Array.Resize(ref _images, 128 * 784);
        var rng = new Randomness.SplitMix64(5);
        _weights = Random(784 * 200, ref rng, 0.05);
        _bias = Random(200, ref rng, 0.1);
        _output = new float[128 * 200];
        _dropped = new float[128 * 200];
        _mask = new float[128 * 200];
        var masks = Dropout.CreateMaskStream(6);
        Dropout.SampleMask(_mask, 0.5f, 1f, ref masks);
        Dense.Forward(_output, _images, _weights, _bias, 128, 784, 200, Activation.ReLU, _dropped, _mask);
        // An output gradient with the zeros of a real one: dropped units and ReLU zeros.
        _dOutput = Random(128 * 200, ref rng, 0.01);
        for (int i = 0; i < _dOutput.Length; i++)
            if (_dropped[i] == 0) _dOutput[i] = 0;
        _dWeights = new float[784 * 200];
        _dBias = new float[200];
        _parameters = Random(ReferenceNet.ParameterCount, ref rng, 0.05);
        _gradients = Random(ReferenceNet.ParameterCount, ref rng, 0.001);
        _adam = new Adam();
    }

    [Benchmark]
    public void Layer1Forward() => Dense.Forward(_output, _images, _weights, _bias, 128, 784, 200, Activation.ReLU, _dropped, _mask, Threads);

    [Benchmark]
    public void Layer1WeightGradient() => Dense.BackwardParameters(_dWeights, _dBias, _dOutput, _images, 128, 784, 200, Threads);

    [Benchmark]
    public void AdamStep() => OptimizerStep.Run(_adam, _parameters, _gradients, Threads, s_layout);

    private static float[] Random(int count, ref Randomness.SplitMix64 rng, double scale)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(scale * rng.NextGaussian());
        return values;
    }
}

/// <summary>One epoch of Fashion-MNIST (60,000 images, batches of 128, shuffled) through <see cref="Trainer{TNetwork}"/>.</summary>
[Config(typeof(EpochConfig))]
public class EpochBenchmarks
{
    private Trainer<ReferenceNet> _trainer = null!;

    /// <summary>Threads the network splits each batch between.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ = Data.FashionMnist;
        _trainer = new Trainer<ReferenceNet>(new ReferenceNet(maxBatchSize: 128, seed: 1), new Adam(), batchSize: 128, shuffleSeed: 1, threads: Threads);
    }

    [Benchmark]
    public double TrainEpoch() => _trainer.TrainEpoch(Data.FashionMnist.Train).MeanLoss;
}
