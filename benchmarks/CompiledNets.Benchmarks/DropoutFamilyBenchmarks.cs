using System;
using BenchmarkDotNet.Attributes;
using CompiledNets;

namespace CompiledNets.Benchmarks;

/// <summary>
/// What each member of the dropout family costs per train step against plain dropout (the baseline) on the reference
/// network, 784-200-100-10 with the layer after each hidden layer: batch 128 of real Fashion-MNIST images taken in turn
/// from a shuffled epoch (as <see cref="TrainStepBenchmark{TNetwork}"/>), Adam, one thread. The target of the
/// dropout-family issue is at most 15% over plain dropout.
/// </summary>
[Config(typeof(ShortConfig))]
public class DropoutFamilyBenchmarks
{
    private float[] _images = [];
    private int[] _labels = [];
    private int _batches, _next;
    private ReferenceNet _dropout = null!;
    private GaussianDropoutReferenceNet _gaussian = null!;
    private AlphaDropoutReferenceNet _alpha = null!;
    private MaxNormReferenceNet _maxNorm = null!;
    private ConcreteDropoutReferenceNet _concrete = null!;
    private Adam _adam = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_images, _labels, _batches) = Data.Epoch(128, seed: 1);
        _dropout = new(maxBatchSize: 128, seed: 1);
        _gaussian = new(maxBatchSize: 128, seed: 1);
        _alpha = new(maxBatchSize: 128, seed: 1);
        _maxNorm = new(maxBatchSize: 128, seed: 1);
        _concrete = new(maxBatchSize: 128, seed: 1);
        _adam = new Adam();
    }

    private float Step<TNetwork>(TNetwork net) where TNetwork : IClassifierNetwork
    {
        int b = _next++ % _batches, n = 128 * net.InputSize;
        return net.TrainStep(_images.AsSpan(b * n, n), _labels.AsSpan(b * 128, 128), _adam);
    }

    /// <summary>[Dropout(0.5)] after each hidden layer (fused into the Dense kernels).</summary>
    [Benchmark(Baseline = true)]
    public float Dropout() => Step(_dropout);

    [Benchmark]
    public float GaussianDropout() => Step(_gaussian);

    /// <summary>SELU hidden layers with [AlphaDropout(0.1)].</summary>
    [Benchmark]
    public float AlphaDropout() => Step(_alpha);

    /// <summary>Plain dropout with MaxNorm = 3 on the two Dense layers it follows.</summary>
    [Benchmark]
    public float DropoutMaxNorm() => Step(_maxNorm);

    [Benchmark]
    public float ConcreteDropout() => Step(_concrete);
}

/// <summary>The reference network with [GaussianDropout(0.5)] in place of each dropout.</summary>
[Network(784)]
[Dense(200, Activation.ReLU)]
[GaussianDropout(0.5)]
[Dense(100, Activation.ReLU)]
[GaussianDropout(0.5)]
[Dense(10)]
public partial class GaussianDropoutReferenceNet;

/// <summary>The reference network with SELU hidden layers and [AlphaDropout(0.1)] after each.</summary>
[Network(784)]
[Dense(200, Activation.SELU)]
[AlphaDropout(0.1)]
[Dense(100, Activation.SELU)]
[AlphaDropout(0.1)]
[Dense(10)]
public partial class AlphaDropoutReferenceNet;

/// <summary>The reference network with MaxNorm = 3 on the Dense layers that dropout follows.</summary>
[Network(784)]
[Dense(200, Activation.ReLU, MaxNorm = 3)]
[Dropout(0.5)]
[Dense(100, Activation.ReLU, MaxNorm = 3)]
[Dropout(0.5)]
[Dense(10)]
public partial class MaxNormReferenceNet;

/// <summary>The reference network with [ConcreteDropout(0.5)] (Gal's default regularizers) in place of each dropout.</summary>
[Network(784)]
[Dense(200, Activation.ReLU)]
[ConcreteDropout(0.5)]
[Dense(100, Activation.ReLU)]
[ConcreteDropout(0.5)]
[Dense(10)]
public partial class ConcreteDropoutReferenceNet;
