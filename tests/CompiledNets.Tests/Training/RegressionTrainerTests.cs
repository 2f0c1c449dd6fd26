using System;
using System.IO;
using CompiledNets.Tests.Networks;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.Training;

/// <summary>One dense layer without activation: exactly the family of linear maps y = x W + b.</summary>
[Network(3, Loss = LossFunction.MeanSquaredError)]
[Dense(2)]
public partial class LinearMapNet;

/// <summary><see cref="RegressionTrainer{TNetwork}"/> and <see cref="RegressionDataset"/>.</summary>
public class RegressionTrainerTests
{
    private static readonly float[] MapWeights = [0.5f, -1f, 2f, 0.25f, -1.5f, 1f]; // [3, 2], row-major as in Parameters
    private static readonly float[] MapBias = [0.3f, -0.7f];

    /// <summary>Gaussian inputs and their exact images under the linear map (<see cref="MapWeights"/>, <see cref="MapBias"/>).</summary>
    private static RegressionDataset LinearMap(int count, ulong seed)
    {
        float[] inputs = TestData.Gaussian(count * 3, seed);
        var targets = new float[count * 2];
        for (int n = 0; n < count; n++)
            for (int o = 0; o < 2; o++)
            {
                double y = MapBias[o];
                for (int i = 0; i < 3; i++) y += inputs[n * 3 + i] * MapWeights[i * 2 + o];
                targets[n * 2 + o] = (float)y;
            }
        return new RegressionDataset(inputs, targets, features: 3, outputs: 2);
    }

    /// <summary>Inputs and targets of <see cref="SmallRegressionNet"/>'s widths: a smooth function of the inputs.</summary>
    private static RegressionDataset Smooth(int count, ulong seed)
    {
        float[] inputs = TestData.Gaussian(count * SmallRegressionNet.InputSize, seed);
        var targets = new float[count * SmallRegressionNet.OutputSize];
        for (int n = 0; n < count; n++)
            for (int o = 0; o < SmallRegressionNet.OutputSize; o++)
                targets[n * SmallRegressionNet.OutputSize + o] = MathF.Sin(inputs[n * SmallRegressionNet.InputSize + o]) + 0.1f * o;
        return new RegressionDataset(inputs, targets, SmallRegressionNet.InputSize, SmallRegressionNet.OutputSize);
    }

    [Fact]
    public void Learns_a_linear_map()
    {
        var network = new LinearMapNet(maxBatchSize: 16, seed: 1);
        var trainer = new RegressionTrainer<LinearMapNet>(network, new Adam(0.02f), batchSize: 16, shuffleSeed: 2);
        RegressionDataset train = LinearMap(400, seed: 3), test = LinearMap(100, seed: 4);
        RegressionEvaluation before = trainer.Evaluate(test);
        double firstEpoch = 0, lastEpoch = 0;
        for (int epoch = 0; epoch < 40; epoch++)
        {
            lastEpoch = trainer.TrainEpoch(train).MeanLoss;
            if (epoch == 0) firstEpoch = lastEpoch;
        }
        RegressionEvaluation after = trainer.Evaluate(test);

        // The map is exactly representable and the targets carry no noise, so the error goes to float rounding and the
        // parameters to the map's. Seen: test loss 3.2 -> 2e-14, mean absolute error 1e-7, parameters within 1.2e-7
        // (an ulp of 1); the bounds leave margins of 10^3 or more.
        Assert.True(before.Loss > 1, $"loss before training {before.Loss}");
        Assert.True(after.Loss < 1e-10, $"loss {before.Loss} -> {after.Loss}");
        Assert.True(after.MeanAbsoluteError < 1e-4, $"mean absolute error {after.MeanAbsoluteError}");
        Assert.True(lastEpoch < firstEpoch * 1e-9, $"epoch loss {firstEpoch} -> {lastEpoch}");
        float[] expected = [.. MapWeights, .. MapBias];
        float[] learned = network.Parameters.ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(learned[i] - expected[i]) < 1e-4, $"parameter {i}: {learned[i]} vs {expected[i]}");
        Assert.Equal(40 * 25, trainer.Steps); // 400 examples in batches of 16: 25 per epoch
        Assert.Equal(40, trainer.Epochs);
    }

    [Fact]
    public void Evaluate_gives_the_mean_squared_and_absolute_errors_of_the_predictions()
    {
        var network = new SmallRegressionNet(maxBatchSize: 8, seed: 5);
        var trainer = new RegressionTrainer<SmallRegressionNet>(network, new Adam(), batchSize: 8);
        RegressionDataset data = Smooth(21, seed: 6); // 8 + 8 + 5: the last evaluation batch is partial

        RegressionEvaluation evaluation = trainer.Evaluate(data);

        var predictions = new float[SmallRegressionNet.OutputSize];
        double squared = 0, absolute = 0;
        for (int n = 0; n < data.Count; n++)
        {
            network.Predict(data.Input(n), predictions);
            for (int o = 0; o < predictions.Length; o++)
            {
                double error = (double)predictions[o] - data.Target(n)[o];
                squared += error * error;
                absolute += Math.Abs(error);
            }
        }
        int values = data.Count * SmallRegressionNet.OutputSize;
        // Tolerance 1e-6 relative: the same float predictions (batch or one at a time), summed in double.
        Assert.Equal(squared / values, evaluation.Loss, 1e-6 * evaluation.Loss);
        Assert.Equal(absolute / values, evaluation.MeanAbsoluteError, 1e-6 * evaluation.MeanAbsoluteError);
        Assert.Equal(Math.Sqrt(evaluation.Loss), evaluation.RootMeanSquaredError);
    }

    [Fact]
    public void The_epoch_loss_is_the_mean_over_examples_including_a_partial_last_batch()
    {
        // A learning rate so small that no parameter moves: every batch's loss is then that of the untrained network, and
        // their mean weighted by batch size (16, 16, 16, 2) must be the mean squared error over the whole set.
        var network = new LinearMapNet(maxBatchSize: 16, seed: 7);
        var trainer = new RegressionTrainer<LinearMapNet>(network, new Sgd(1e-30f), batchSize: 16, shuffleSeed: 8);
        RegressionDataset data = LinearMap(50, seed: 9);
        float[] parameters = network.Parameters.ToArray();

        EpochResult epoch = trainer.TrainEpoch(data);

        float[] after = network.Parameters.ToArray();
        for (int i = 0; i < after.Length; i++) Assert.Equal(parameters[i], after[i], 1e-20); // the zero biases move by ~1e-30
        double expected = trainer.Evaluate(data).Loss;
        // Tolerance 1e-6 relative: each batch's loss is summed in double and rounded to float once.
        Assert.Equal(expected, epoch.MeanLoss, 1e-6 * expected);
        Assert.Equal(4, trainer.Steps);
    }

    [Fact]
    public void Same_seeds_give_bit_identical_training_and_different_shuffle_seeds_do_not()
    {
        RegressionDataset data = Smooth(100, seed: 10);
        float[] Train(ulong shuffleSeed)
        {
            var network = new SmallRegressionNet(maxBatchSize: 16, seed: 11); // with dropout: the mask stream counts too
            var trainer = new RegressionTrainer<SmallRegressionNet>(network, new Adam(0.01f), batchSize: 16, shuffleSeed);
            for (int epoch = 0; epoch < 2; epoch++) trainer.TrainEpoch(data);
            return network.Parameters.ToArray();
        }
        Assert.Equal(Train(1), Train(1));
        Assert.NotEqual(Train(1), Train(2));
    }

    [Fact]
    public void Training_resumed_from_a_checkpoint_ends_bit_identical_to_uninterrupted_training()
    {
        RegressionDataset data = Smooth(60, seed: 12);
        RegressionTrainer<SmallRegressionNet> New(out SmallRegressionNet network, ulong seed) =>
            new(network = new SmallRegressionNet(maxBatchSize: 16, seed: seed), new Adam(0.01f), batchSize: 16, shuffleSeed: seed);
        string path = Path.Combine(Path.GetTempPath(), $"compilednets-regression-{Guid.NewGuid():N}.ckpt");
        try
        {
            RegressionTrainer<SmallRegressionNet> straight = New(out SmallRegressionNet straightNet, seed: 13);
            for (int epoch = 0; epoch < 3; epoch++) straight.TrainEpoch(data);

            RegressionTrainer<SmallRegressionNet> first = New(out _, seed: 13);
            first.TrainEpoch(data);
            first.SaveCheckpoint(path);
            RegressionTrainer<SmallRegressionNet> resumed = New(out SmallRegressionNet resumedNet, seed: 999);
            resumed.LoadCheckpoint(path);
            for (int epoch = 0; epoch < 2; epoch++) resumed.TrainEpoch(data);

            Assert.Equal(straightNet.Parameters.ToArray(), resumedNet.Parameters.ToArray());
            Assert.Equal((straight.Epochs, straight.Steps), (resumed.Epochs, resumed.Steps));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_non_finite_target_stops_training_and_is_named()
    {
        RegressionDataset data = LinearMap(32, seed: 14);
        data.Targets[2 * 20 + 1] = float.NaN;
        var network = new LinearMapNet(maxBatchSize: 16, seed: 15);
        var trainer = new RegressionTrainer<LinearMapNet>(network, new Adam(0.01f), batchSize: 16, shuffleSeed: 16);

        var e = Assert.Throws<NonFiniteLossException>(() => trainer.TrainEpoch(data));

        Assert.Matches(@"step \d \(batch \d of epoch 1\)", e.Message);
        Assert.Matches(@"target value NaN at example \d+ of that batch is not finite", e.Message);
        Assert.All(network.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));
    }

    [Fact]
    public void The_dataset_rejects_arrays_that_do_not_describe_whole_examples()
    {
        Assert.Equal("inputs", Assert.Throws<ArgumentNullException>(() => new RegressionDataset(null!, new float[2], 3, 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentNullException>(() => new RegressionDataset(new float[3], null!, 3, 2)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => new RegressionDataset(new float[3], new float[2], 0, 2)).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => new RegressionDataset(new float[3], new float[2], 3, 0)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => new RegressionDataset(new float[7], new float[4], 3, 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new RegressionDataset(new float[6], new float[5], 3, 2)).ParamName);

        var data = new RegressionDataset(new float[6], new float[4], features: 3, outputs: 2);
        Assert.Equal(2, data.Count);
        Assert.Equal(0, new RegressionDataset([], [], features: 3, outputs: 2).Count);
    }

    [Fact]
    public void The_trainer_rejects_bad_arguments_naming_them()
    {
        var network = new LinearMapNet(maxBatchSize: 16);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(
            () => new RegressionTrainer<LinearMapNet>(network, new Adam(), batchSize: 17)).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(
            () => new RegressionTrainer<LinearMapNet>(network, new Adam(), batchSize: 0)).ParamName);
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(
            () => new RegressionTrainer<LinearMapNet>(network, new Adam(), batchSize: 16, threads: 0)).ParamName);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(
            () => new RegressionTrainer<LinearMapNet>(null!, new Adam())).ParamName);
        Assert.Equal("optimizer", Assert.Throws<ArgumentNullException>(
            () => new RegressionTrainer<LinearMapNet>(network, null!)).ParamName);

        var trainer = new RegressionTrainer<LinearMapNet>(network, new Adam(), batchSize: 16);
        var wrongFeatures = new RegressionDataset(new float[8], new float[4], features: 4, outputs: 2);
        var wrongOutputs = new RegressionDataset(new float[6], new float[6], features: 3, outputs: 3);
        var empty = new RegressionDataset([], [], features: 3, outputs: 2);
        foreach (RegressionDataset bad in new[] { wrongFeatures, wrongOutputs, empty })
        {
            Assert.Equal("data", Assert.Throws<ArgumentException>(() => trainer.TrainEpoch(bad)).ParamName);
            Assert.Equal("data", Assert.Throws<ArgumentException>(() => trainer.Evaluate(bad)).ParamName);
        }
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => trainer.TrainEpoch(null!)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => trainer.Evaluate(null!)).ParamName);
        Assert.Equal(0, trainer.Steps);
    }
}
