using System;
using BenchmarkDotNet.Attributes;
using CompiledNets;

namespace CompiledNets.Benchmarks;

/// <summary>
/// The reference network (784-200-100-10, ReLU) with DropConnect 0.5 on both hidden Dense layers instead of a
/// Dropout(0.5) after each: each weight dropped per example while training, moment-matching inference.
/// </summary>
[Network(784)]
[Dense(200, Activation.ReLU, DropConnect = 0.5)]
[Dense(100, Activation.ReLU, DropConnect = 0.5)]
[Dense(10)]
public partial class DropConnectReferenceNet;

/// <summary>
/// The cost of DropConnect against plain dropout: one train step (batch 128 of Fashion-MNIST images, Adam, 1 thread) of
/// <see cref="DropConnectReferenceNet"/> against <see cref="ReferenceNet"/> (the same network with Dropout(0.5) after
/// the two hidden layers), the baseline; BenchmarkDotNet's Ratio column is the cost. The target: within 2×.
/// </summary>
[Config(typeof(ShortConfig))]
public class DropConnectTrainStepBenchmarks
{
    private float[] _images = [];
    private int[] _labels = [];
    private int _batches, _next;
    private ReferenceNet _dropout = null!;
    private DropConnectReferenceNet _dropConnect = null!;
    private Adam _dropoutAdam = null!, _dropConnectAdam = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_images, _labels, _batches) = Data.Epoch(128, seed: 1);
        _dropout = new ReferenceNet(maxBatchSize: 128, seed: 1);
        _dropConnect = new DropConnectReferenceNet(maxBatchSize: 128, seed: 1);
        _dropoutAdam = new Adam();
        _dropConnectAdam = new Adam();
    }

    [Benchmark(Baseline = true)]
    public float Dropout() => Step(_dropout, _dropoutAdam);

    [Benchmark]
    public float DropConnect() => Step(_dropConnect, _dropConnectAdam);

    private float Step(IClassifierNetwork net, Adam adam)
    {
        int b = _next++ % _batches, n = 128 * net.InputSize;
        return net.TrainStep(_images.AsSpan(b * n, n), _labels.AsSpan(b * 128, 128), adam);
    }
}
