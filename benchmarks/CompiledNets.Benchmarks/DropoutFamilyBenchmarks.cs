using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
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
    private SeluDropoutReferenceNet _seluDropout = null!;
    private readonly Adam[] _adams = [new(), new(), new(), new(), new(), new()]; // one per network: Adam's state fits one parameter count

    [GlobalSetup]
    public void Setup()
    {
        (_images, _labels, _batches) = Data.Epoch(128, seed: 1);
        _dropout = new(maxBatchSize: 128, seed: 1);
        _gaussian = new(maxBatchSize: 128, seed: 1);
        _alpha = new(maxBatchSize: 128, seed: 1);
        _maxNorm = new(maxBatchSize: 128, seed: 1);
        _concrete = new(maxBatchSize: 128, seed: 1);
        _seluDropout = new(maxBatchSize: 128, seed: 1);
    }

    private float Step<TNetwork>(TNetwork net, int optimizer) where TNetwork : IClassifierNetwork
    {
        int b = _next++ % _batches, n = 128 * net.InputSize;
        return net.TrainStep(_images.AsSpan(b * n, n), _labels.AsSpan(b * 128, 128), _adams[optimizer]);
    }

    /// <summary>[Dropout(0.5)] after each hidden layer (fused into the Dense kernels).</summary>
    [Benchmark(Baseline = true)]
    public float Dropout() => Step(_dropout, 0);

    [Benchmark]
    public float GaussianDropout() => Step(_gaussian, 1);

    /// <summary>SELU hidden layers with [AlphaDropout(0.1)].</summary>
    [Benchmark]
    public float AlphaDropout() => Step(_alpha, 2);

    /// <summary>Plain dropout with MaxNorm = 3 on the two Dense layers it follows.</summary>
    [Benchmark]
    public float DropoutMaxNorm() => Step(_maxNorm, 3);

    [Benchmark]
    public float ConcreteDropout() => Step(_concrete, 4);

    /// <summary>
    /// AlphaDropout's own baseline: the same SELU network with plain [Dropout(0.1)] (AlphaDropout's network differs from
    /// the reference in more than its dropout kind: SELU's exponential, dense outputs where ReLU and a rate of 0.5 leave
    /// three quarters zeros for the next layers' kernels to skip).
    /// </summary>
    [Benchmark]
    public float SeluDropout() => Step(_seluDropout, 5);

    /// <summary>
    /// <c>-- --dropout-family [rounds]</c>: the same steps timed with a Stopwatch, the kinds interleaved round by round
    /// (each round: 50 steps of each, in turn), so that a shared machine's changing load falls on all of them alike; prints
    /// each kind's median time per step and the median over rounds of its ratio to plain dropout in the same round
    /// (AlphaDropout also to <see cref="SeluDropout"/>, plain dropout on its own SELU network).
    /// </summary>
    public static void RunInterleaved(int rounds)
    {
        var bench = new DropoutFamilyBenchmarks();
        bench.Setup();
        (string Name, Func<float> Step)[] kinds =
        [
            ("Dropout", bench.Dropout), ("GaussianDropout", bench.GaussianDropout), ("AlphaDropout", bench.AlphaDropout),
            ("DropoutMaxNorm", bench.DropoutMaxNorm), ("ConcreteDropout", bench.ConcreteDropout), ("SeluDropout", bench.SeluDropout),
        ];
        const int Steps = 50;
        foreach (var kind in kinds) for (int i = 0; i < 4 * Steps; i++) kind.Step(); // warm-up (tiered JIT)
        var times = new double[kinds.Length][];
        for (int k = 0; k < kinds.Length; k++) times[k] = new double[rounds];
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < kinds.Length; k++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < Steps; i++) kinds[k].Step();
                times[k][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000 / Steps;
            }
        static double Median(double[] values) { var sorted = values.Order().ToArray(); return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2; }
        Console.WriteLine($"{rounds} rounds of {Steps} steps each, batch 128, 1 thread");
        for (int k = 0; k < kinds.Length; k++)
        {
            double ratio = Median(times[k].Select((t, r) => t / times[0][r]).ToArray());
            string line = string.Create(CultureInfo.InvariantCulture, $"{kinds[k].Name,-16} median {Median(times[k]),8:F1} us/step, median ratio to Dropout {ratio:F3}");
            if (kinds[k].Name == "AlphaDropout")
            {
                int selu = Array.FindIndex(kinds, kind => kind.Name == "SeluDropout");
                line += string.Create(CultureInfo.InvariantCulture, $", to SeluDropout {Median(times[k].Select((t, r) => t / times[selu][r]).ToArray()):F3}");
            }
            Console.WriteLine(line);
        }
    }
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

/// <summary>AlphaDropoutReferenceNet with plain [Dropout(0.1)] in place of each AlphaDropout: its same-network baseline.</summary>
[Network(784)]
[Dense(200, Activation.SELU)]
[Dropout(0.1)]
[Dense(100, Activation.SELU)]
[Dropout(0.1)]
[Dense(10)]
public partial class SeluDropoutReferenceNet;

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
