using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Allocation tests run alone, not beside the other tests, so that the JIT activity of other tests does not keep the
/// runtime's tiered compilation busy while these warm up (see <see cref="ZeroAllocationTests.WarmUp"/>).
/// </summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>A train step and an inference allocate nothing on the managed heap once warmed up (design contract).</summary>
[Collection(nameof(AllocationCollection))]
public class ZeroAllocationTests
{
    private const int Repetitions = 10;

    [Theory]
    [InlineData(128)]
    [InlineData(1)]
    public void TrainStep_and_Predict_on_the_reference_net_allocate_nothing_after_warm_up(int batch)
        => AssertTrainStepAndPredictAllocateNothing(new ReferenceNet(maxBatchSize: 128, seed: 3), batch, threads: 1);

    [Theory]
    [InlineData(128, 1)]
    [InlineData(1, 1)]
    [InlineData(128, 2)]
    public void TrainStep_and_Predict_on_LeNet_allocate_nothing_after_warm_up(int batch, int threads)
        => AssertTrainStepAndPredictAllocateNothing(new AllocationLeNet(maxBatchSize: 128, seed: 3), batch, threads);

    [Theory]
    [InlineData(128)]
    [InlineData(1)]
    public void TrainStep_and_Predict_with_the_noise_layers_allocate_nothing_after_warm_up(int batch)
        => AssertTrainStepAndPredictAllocateNothing(new AllocationNoiseNet(maxBatchSize: 128, seed: 3), batch, threads: 1);

    [Theory]
    [InlineData(128)]
    [InlineData(1)]
    public void TrainStep_and_Predict_with_concrete_dropout_allocate_nothing_after_warm_up(int batch)
        => AssertTrainStepAndPredictAllocateNothing(new AllocationConcreteNet(maxBatchSize: 128, seed: 3), batch, threads: 1);

    [Fact]
    public void Monte_Carlo_prediction_with_the_noise_layers_allocates_nothing_after_warm_up()
    {
        var net = new AllocationNoiseNet(maxBatchSize: 8, seed: 3);
        float[] inputs = TestData.Uniform(8 * AllocationNoiseNet.InputSize, seed: 4, 0, 1);
        var mean = new float[8 * AllocationNoiseNet.OutputSize];
        var spread = new float[mean.Length];
        WarmUp(() => net.PredictSamples(inputs, 5, mean, spread, batchSize: 8));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Repetitions; i++)
            net.PredictSamples(inputs, 5, mean, spread, batchSize: 8);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TrainStep_and_Predict_with_max_norm_allocate_nothing_after_warm_up()
        => AssertTrainStepAndPredictAllocateNothing(new MaxNormTrainNet(maxBatchSize: 16, seed: 3), 16, threads: 1);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TrainStep_and_Predict_with_DropConnect_allocate_nothing_after_warm_up(int threads)
        => AssertTrainStepAndPredictAllocateNothing(new DropConnectMlpNet(maxBatchSize: 32, seed: 3), 32, threads);

    [Fact]
    public void TrainStep_and_Predict_with_mean_weight_DropConnect_allocate_nothing_after_warm_up()
        => AssertTrainStepAndPredictAllocateNothing(new DropConnectMeanWeightNet(maxBatchSize: 16, seed: 3), 16, threads: 1);

    private static void AssertTrainStepAndPredictAllocateNothing<TNetwork>(TNetwork net, int batch, int threads)
        where TNetwork : IClassifierNetwork
    {
        net.Threads = threads;
        var adam = new Adam();
        float[] inputs = TestData.Uniform(batch * net.InputSize, seed: 4, 0, 1);
        int[] labels = TestData.Labels(batch, net.OutputSize, seed: 5);
        var probabilities = new float[batch * net.OutputSize];

        // Warm-up: JIT compilation (tiered), Adam's moment buffers, the kernels' thread buffers, any lazily created state.
        WarmUp(() =>
        {
            net.TrainStep(inputs, labels, adam);
            net.Predict(inputs, probabilities, batch);
        });

        // Per-thread counter, so other tests do not count; exact: 0 bytes. Each repetition is counted on its own, and
        // the process's precise total beside it, so that a failure says when and whether other threads allocated too.
        var perRepetition = new long[Repetitions];
        var processWide = new long[Repetitions];
        long allocated = 0;
        for (int i = 0; i < Repetitions; i++)
        {
            long process = GC.GetTotalAllocatedBytes(precise: true);
            long before = GC.GetAllocatedBytesForCurrentThread();
            net.TrainStep(inputs, labels, adam);
            net.Predict(inputs, probabilities, batch);
            perRepetition[i] = GC.GetAllocatedBytesForCurrentThread() - before;
            processWide[i] = GC.GetTotalAllocatedBytes(precise: true) - process;
            allocated += perRepetition[i];
        }

        Assert.True(allocated == 0,
            $"{allocated} bytes allocated; this thread per repetition: {string.Join(", ", perRepetition)}; " +
            $"the process per repetition: {string.Join(", ", processWide)}");
    }

    [Fact]
    public void Forward_Loss_and_Backward_allocate_nothing_after_warm_up()
    {
        var net = new SmallMixedNet(maxBatchSize: 16, seed: 3);
        float[] inputs = TestData.Gaussian(16 * SmallMixedNet.InputSize, seed: 6);
        int[] labels = TestData.Labels(16, SmallMixedNet.OutputSize, seed: 7);
        var sgd = new Sgd(0.01f, 0.9f);
        WarmUp(() =>
        {
            net.Forward(inputs, 16, training: true);
            net.Loss(labels);
            net.Backward(labels);
            net.Forward(inputs, 16, training: false);
            net.TrainStep(inputs, labels, sgd);
        });

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Repetitions; i++)
        {
            net.Reseed((ulong)i);
            net.Forward(inputs, 16, training: true);
            net.Loss(labels);
            net.Backward(labels);
            net.Forward(inputs, 16, training: false);
            net.TrainStep(inputs, labels, sgd);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// An epoch and an evaluation of either trainer allocate nothing once warmed up (an epoch allocates its order of
    /// examples only when the data set's size changes). Two epochs of 200 batches each, so a per-batch allocation would
    /// show even if a few bytes per epoch were let through.
    /// </summary>
    [Fact]
    public void Trainer_epochs_and_evaluations_allocate_nothing_per_batch()
    {
        const int examples = 200 * 4; // 200 batches of 4
        var classifier = new Trainer<Training.BlobNet>(new Training.BlobNet(maxBatchSize: 4, seed: 1), new Adam(1e-4f), batchSize: 4);
        var classes = new Dataset(TestData.Gaussian(examples * 2, seed: 2), TestData.Labels(examples, 2, seed: 3), features: 2);
        var regression = new RegressionTrainer<SmallRegressionNet>(new SmallRegressionNet(maxBatchSize: 4, seed: 4), new Adam(1e-4f), batchSize: 4);
        var targets = new RegressionDataset(TestData.Gaussian(examples * SmallRegressionNet.InputSize, seed: 5),
            TestData.Gaussian(examples * SmallRegressionNet.OutputSize, seed: 6), SmallRegressionNet.InputSize, SmallRegressionNet.OutputSize);
        void Epochs()
        {
            classifier.TrainEpoch(classes);
            classifier.Evaluate(classes);
            regression.TrainEpoch(targets);
            regression.Evaluate(targets);
        }
        WarmUp(Epochs);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Epochs();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated by two epochs of 200 batches and two evaluations");
    }

    /// <summary>
    /// Runs <paramref name="step"/> until the runtime has stopped compiling: at least 50 times (past tiered compilation's
    /// 30-call threshold), then until no method was compiled anywhere in the process for 300 ms (at most 10 s). One call
    /// is not enough: in measured repetitions right after it, the thread reaching a call-count threshold allocated
    /// 5,632 bytes once (process total up as much, never with DOTNET_TieredCompilation=0) — the runtime starting its
    /// tier-up work, not the network.
    /// </summary>
    internal static void WarmUp(Action step)
    {
        for (int i = 0; i < 50; i++) step();
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        var total = System.Diagnostics.Stopwatch.StartNew();
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (quiet.ElapsedMilliseconds < 300 && total.ElapsedMilliseconds < 10_000)
        {
            step();
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quiet.Restart();
            }
        }
    }
}
