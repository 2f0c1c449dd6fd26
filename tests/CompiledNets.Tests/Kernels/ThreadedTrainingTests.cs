using System;
using CompiledNets.Randomness;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// The <c>Threads</c> option: every output of every kernel is computed the same way whatever the thread count (the
/// forward product sums the two halves of its inputs separately with one thread too), so a two-thread step must give
/// the one-thread step's outputs, gradients and parameters bit for bit — stronger than "within float tolerance".
/// Inputs have zeros like images, so the skipped terms are exercised too.
/// </summary>
public class ThreadedTrainingTests
{
    private const int Batch = 128;

    [Fact]
    public void Two_threads_give_the_one_thread_outputs_and_gradients()
    {
        float[] inputs = ImageLike(Batch * ReferenceNet.InputSize, seed: 1);
        int[] labels = Labels(Batch, seed: 2);
        var one = new ReferenceNet(maxBatchSize: Batch, seed: 3);
        var two = new ReferenceNet(maxBatchSize: Batch, seed: 3) { Threads = 2 };

        float[] outputsOne = one.Forward(inputs, Batch, training: true).ToArray();
        float[] outputsTwo = two.Forward(inputs, Batch, training: true).ToArray();
        one.Backward(labels);
        two.Backward(labels);

        Assert.Equal(outputsOne, outputsTwo);
        Assert.Equal(one.Gradients.ToArray(), two.Gradients.ToArray());
    }

    [Fact]
    public void Two_threads_train_the_same_parameters_over_many_steps_and_batch_sizes()
    {
        var one = new ReferenceNet(maxBatchSize: Batch, seed: 4);
        var two = new ReferenceNet(maxBatchSize: Batch, seed: 4) { Threads = 2 };
        Adam adamOne = new(), adamTwo = new();
        foreach (int batch in new[] { 128, 1, 2, 3, 64, 127, 128, 100 })
        {
            float[] inputs = ImageLike(batch * ReferenceNet.InputSize, seed: (ulong)batch);
            int[] labels = Labels(batch, seed: (ulong)batch + 1);
            float lossOne = one.TrainStep(inputs, labels, adamOne);
            float lossTwo = two.TrainStep(inputs, labels, adamTwo);
            Assert.Equal(lossOne, lossTwo);
        }
        Assert.Equal(one.Parameters.ToArray(), two.Parameters.ToArray());

        var probabilitiesOne = new float[Batch * ReferenceNet.OutputSize];
        var probabilitiesTwo = new float[Batch * ReferenceNet.OutputSize];
        float[] test = ImageLike(Batch * ReferenceNet.InputSize, seed: 77);
        one.Predict(test, probabilitiesOne, Batch);
        two.Predict(test, probabilitiesTwo, Batch);
        Assert.Equal(probabilitiesOne, probabilitiesTwo);
        one.Predict(test.AsSpan(0, ReferenceNet.InputSize), probabilitiesOne.AsSpan(0, ReferenceNet.OutputSize));
        two.Predict(test.AsSpan(0, ReferenceNet.InputSize), probabilitiesTwo.AsSpan(0, ReferenceNet.OutputSize));
        Assert.Equal(probabilitiesOne, probabilitiesTwo);
    }

    /// <summary>Concrete dropout's kernels run on one thread between the split products: the steps stay bit-identical.</summary>
    [Fact]
    public void Two_threads_train_concrete_dropout_and_its_rates_identically()
    {
        var one = new Numerics.AllocationConcreteNet(maxBatchSize: Batch, seed: 4);
        var two = new Numerics.AllocationConcreteNet(maxBatchSize: Batch, seed: 4) { Threads = 2 };
        Adam adamOne = new(0.01f), adamTwo = new(0.01f);
        foreach (int batch in new[] { 128, 1, 3, 127, 100 })
        {
            float[] inputs = ImageLike(batch * Numerics.AllocationConcreteNet.InputSize, seed: (ulong)batch);
            int[] labels = Labels(batch, seed: (ulong)batch + 1);
            Assert.Equal(one.TrainStep(inputs, labels, adamOne), two.TrainStep(inputs, labels, adamTwo));
        }
        Assert.Equal(one.Parameters.ToArray(), two.Parameters.ToArray());
        Assert.NotEqual(0.2f, one.Concrete1Rate);
    }

    [Fact]
    public void The_trainer_threads_option_sets_the_network_and_trains_identically()
    {
        var data = new Dataset(ImageLike(300 * ReferenceNet.InputSize, seed: 5), Labels(300, seed: 6), ReferenceNet.InputSize);
        float[] Train(int threads)
        {
            var network = new ReferenceNet(maxBatchSize: 64, seed: 7) { Threads = 3 }; // the trainer's setting wins, 1 included
            var trainer = new Trainer<ReferenceNet>(network, new Adam(), batchSize: 64, shuffleSeed: 8, threads: threads);
            Assert.Equal(threads, network.Threads);
            trainer.TrainEpoch(data);
            return network.Parameters.ToArray();
        }
        Assert.Equal(Train(1), Train(2));
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Adam_and_AdamW_split_between_two_threads_by_rows_take_the_same_step(string name)
    {
        float[] gradients = ImageLike(ReferenceNet.ParameterCount, seed: 9);
        var one = new ReferenceNet(seed: 10);
        var two = new ReferenceNet(seed: 10);
        IOptimizer adamOne = name == "adam" ? new Adam() : new AdamW(), adamTwo = name == "adam" ? new Adam() : new AdamW();
        for (int step = 0; step < 3; step++)
        {
            Kernels.OptimizerStep.Run(adamOne, one.Parameters, gradients, threads: 1, one.ParameterTensors);
            Kernels.OptimizerStep.Run(adamTwo, two.Parameters, gradients, threads: 2, two.ParameterTensors);
        }
        Assert.Equal(one.Parameters.ToArray(), two.Parameters.ToArray());
    }

    [Fact]
    public void Threads_below_one_are_rejected()
    {
        var network = new ReferenceNet(maxBatchSize: 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Threads = 0);
        Assert.Equal(1, network.Threads);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<ReferenceNet>(network, new Adam(), batchSize: 4, threads: 0));
        Assert.Equal("threads", e.ParamName);
    }

    /// <summary>Values in [0, 1) with about half exactly zero, in runs, like image background.</summary>
    private static float[] ImageLike(int count, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var values = new float[count];
        bool background = false;
        for (int i = 0; i < count; i++)
        {
            if (rng.NextDouble() < 0.1) background = !background;
            values[i] = background ? 0f : (float)rng.NextDouble();
        }
        return values;
    }

    private static int[] Labels(int count, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = rng.NextInt32(ReferenceNet.OutputSize);
        return labels;
    }
}
