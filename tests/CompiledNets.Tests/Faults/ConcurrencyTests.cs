using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CompiledNets.Tests.Networks;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.Faults;

/// <summary>
/// The threading rule these tests check: <b>an instance is not thread-safe; separate instances are independent.</b>
/// A generated network's Forward writes into the instance's own buffers and advances its own dropout mask stream, so
/// one instance must not be used from two threads at once. Separate instances share nothing mutable (the generated
/// code has no static mutable state, the kernels keep none), so any number of them can run at the same time, one per
/// thread, and each gives bit for bit what it would give alone. An optimizer holds the state of one network's
/// parameters: one optimizer per network.
/// </summary>
public class ConcurrencyTests
{
    /// <summary>At least four threads, really at the same time (dedicated threads released together by a barrier).</summary>
    private static readonly int Workers = Math.Max(4, Math.Min(Environment.ProcessorCount, 8));

    private const int Inputs = 48;

    /// <param name="threads">
    /// Kernel threads per instance, where the network has a <c>Threads</c> setting: with more than one, concurrent
    /// instances also contend for the runtime's shared kernel helpers, which must not change a single bit either.
    /// </param>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Parallel_inference_on_separate_instances_matches_sequential_inference_bit_for_bit(int threads)
    {
        float[][] inputs = Enumerable.Range(0, Inputs)
            .Select(i => TestData.Uniform(ReferenceNet.InputSize, seed: 1000 + (ulong)i, 0, 1))
            .ToArray();
        float[] batch = TestData.Uniform(16 * ReferenceNet.InputSize, seed: 77, 0, 1);

        // Sequential reference: one instance, one thread.
        var reference = new ReferenceNet(seed: 1);
        float[][] expected = inputs.Select(x => Predict(reference, x, 1)).ToArray();
        float[] expectedBatch = Predict(reference, batch, 16);

        // Each worker has its own instance (same seed) and walks the inputs in its own order, many times over.
        var results = RunOnThreads(Workers, worker =>
        {
            var net = new ReferenceNet(seed: 1);
            SetThreads(net, threads);
            var mismatches = new List<string>();
            var order = Enumerable.Range(0, Inputs).OrderBy(i => (i * 7919 + worker * 104729) % Inputs).ToArray();
            for (int round = 0; round < 8; round++)
            {
                foreach (int i in order)
                {
                    if (!Predict(net, inputs[i], 1).AsSpan().SequenceEqual(expected[i]))
                        mismatches.Add($"worker {worker}, round {round}, input {i}");
                }
                if (!Predict(net, batch, 16).AsSpan().SequenceEqual(expectedBatch))
                    mismatches.Add($"worker {worker}, round {round}, batch of 16");
            }
            return mismatches;
        });

        Assert.All(results, mismatches => Assert.Empty(mismatches));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Parallel_training_of_separate_instances_matches_sequential_training_bit_for_bit(int threads)
    {
        (float[] Inputs, int[] Labels)[] data = Enumerable.Range(0, 4)
            .Select(b => (TestData.Uniform(32 * ReferenceNet.InputSize, seed: 300 + (ulong)b, 0, 1),
                          TestData.Labels(32, ReferenceNet.OutputSize, seed: 400 + (ulong)b)))
            .ToArray();

        // Two seeds among the workers: each must match its own sequential run, so no mask stream or buffer is shared.
        ulong[] seeds = [1, 2];
        Dictionary<ulong, (float[] Parameters, float[] Losses)> expected = seeds.ToDictionary(s => s, s => Train(s, data));
        Assert.False(expected[1].Parameters.AsSpan().SequenceEqual(expected[2].Parameters), "the two seeds trained to the same parameters");

        var results = RunOnThreads(Workers, worker =>
        {
            ulong seed = seeds[worker % seeds.Length];
            return (Seed: seed, Result: Train(seed, data, threads));
        });

        foreach (var (seed, result) in results)
        {
            Assert.True(result.Losses.AsSpan().SequenceEqual(expected[seed].Losses), $"seed {seed}: losses differ from the sequential run");
            Assert.True(result.Parameters.AsSpan().SequenceEqual(expected[seed].Parameters), $"seed {seed}: parameters differ from the sequential run");
        }
    }

    [Fact]
    public void Parallel_training_with_sgd_momentum_and_input_dropout_matches_sequential_training()
    {
        // A second network shape (input dropout, inverted scaling, every activation) and the other optimizer.
        float[] inputs = TestData.Gaussian(8 * SmallMixedNet.InputSize, seed: 5);
        int[] labels = TestData.Labels(8, SmallMixedNet.OutputSize, seed: 6);
        float[] Run()
        {
            var net = new SmallMixedNet(maxBatchSize: 8, seed: 3);
            var sgd = new Sgd(0.05f, momentum: 0.9f);
            for (int step = 0; step < 200; step++)
                net.TrainStep(inputs, labels, sgd);
            return net.Parameters.ToArray();
        }

        float[] expected = Run();
        var results = RunOnThreads(Workers, _ => Run());

        Assert.All(results, parameters => Assert.True(parameters.AsSpan().SequenceEqual(expected)));
    }

    private static float[] Predict(ReferenceNet net, float[] inputs, int batchSize)
    {
        var probabilities = new float[batchSize * ReferenceNet.OutputSize];
        net.Predict(inputs, probabilities, batchSize);
        return probabilities;
    }

    private static (float[] Parameters, float[] Losses) Train(ulong seed, (float[] Inputs, int[] Labels)[] data, int threads = 1)
    {
        var net = new ReferenceNet(maxBatchSize: 32, seed: seed);
        SetThreads(net, threads);
        var adam = new Adam(); // one optimizer per network: it holds that network's moments
        var losses = new float[24];
        for (int step = 0; step < losses.Length; step++)
        {
            var (inputs, labels) = data[step % data.Length];
            losses[step] = net.TrainStep(inputs, labels, adam);
        }
        return (net.Parameters.ToArray(), losses);
    }

    /// <summary>
    /// Sets the network's kernel thread count if it has that setting (looked up by name, so these tests do not depend on
    /// it existing); the sequential reference always runs with one thread.
    /// </summary>
    private static void SetThreads(object net, int threads)
    {
        if (threads != 1)
            net.GetType().GetProperty("Threads", typeof(int))?.SetValue(net, threads);
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="count"/> dedicated threads released at once; rethrows any failure.</summary>
    private static T[] RunOnThreads<T>(int count, Func<int, T> work)
    {
        var results = new T[count];
        var errors = new Exception?[count];
        using var start = new Barrier(count);
        var threads = Enumerable.Range(0, count).Select(worker => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                results[worker] = work(worker);
            }
            catch (Exception ex)
            {
                errors[worker] = ex;
            }
        }) { IsBackground = true, Name = $"worker {worker}" }).ToArray();

        foreach (Thread thread in threads) thread.Start();
        foreach (Thread thread in threads)
            Assert.True(thread.Join(TimeSpan.FromMinutes(2)), $"{thread.Name} did not finish");
        foreach (Exception? error in errors)
            if (error is not null) throw new AggregateException(error);
        return results;
    }
}
