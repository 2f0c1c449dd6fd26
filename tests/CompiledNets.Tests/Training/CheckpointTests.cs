using System;
using System.IO;
using System.Linq;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.Training;

[Network(2)]
[Dense(16, Activation.ReLU)]
[Dropout(0.5)]
[Dense(2)]
public partial class CheckpointNet;

[Network(2)]
[Dense(8, Activation.ReLU)]
[Dense(2)]
public partial class OtherShapeNet;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("compilednets-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Dataset Data(int count = 300)
    {
        var rng = new SplitMix64(42);
        var images = new float[count * 2];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            images[2 * i] = (float)rng.NextGaussian() + (labels[i] == 0 ? -1 : 1);
            images[2 * i + 1] = (float)rng.NextGaussian();
        }
        return new Dataset(images, labels, features: 2);
    }

    private static Trainer<CheckpointNet> NewTrainer(out CheckpointNet net, ulong seed) =>
        new(net = new CheckpointNet(maxBatchSize: 16, seed: seed), new Adam(0.01f), batchSize: 16, shuffleSeed: seed);

    [Fact]
    public void Training_resumed_from_a_checkpoint_ends_bit_identical_to_uninterrupted_training()
    {
        Dataset data = Data();
        Trainer<CheckpointNet> straight = NewTrainer(out CheckpointNet straightNet, seed: 1);
        for (int e = 0; e < 4; e++) straight.TrainEpoch(data);

        Trainer<CheckpointNet> first = NewTrainer(out _, seed: 1);
        first.TrainEpoch(data);
        first.TrainEpoch(data);
        string path = Path.Combine(_directory, "run.ckpt");
        first.SaveCheckpoint(path);

        // A new process would start from different seeds: everything that matters must come from the file.
        Trainer<CheckpointNet> resumed = NewTrainer(out CheckpointNet resumedNet, seed: 999);
        resumed.LoadCheckpoint(path);
        Assert.Equal(2, resumed.Epochs);
        Assert.Equal(first.Steps, resumed.Steps);
        resumed.TrainEpoch(data);
        resumed.TrainEpoch(data);

        Assert.True(straightNet.Parameters.SequenceEqual(resumedNet.Parameters));
        Assert.Equal(straight.Steps, resumed.Steps);
    }

    /// <summary>The weight-decay optimizers: their state and settings travel in the checkpoint like Adam's.</summary>
    public static TheoryData<string> DecayOptimizers => ["adamw", "sgd-momentum"];

    private static IStatefulOptimizer DecayOptimizer(string name, float weightDecay) => name switch
    {
        "adamw" => new AdamW(0.01f, weightDecay: weightDecay),
        "sgd-momentum" => new Sgd(0.05f, 0.9f, weightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(DecayOptimizers))]
    public void Training_with_weight_decay_resumed_from_a_checkpoint_ends_bit_identical(string optimizer)
    {
        Dataset data = Data();
        var straightNet = new CheckpointNet(maxBatchSize: 16, seed: 1);
        var straight = new Trainer<CheckpointNet>(straightNet, DecayOptimizer(optimizer, 0.1f), batchSize: 16, shuffleSeed: 1);
        for (int e = 0; e < 3; e++) straight.TrainEpoch(data);

        var first = new Trainer<CheckpointNet>(new CheckpointNet(maxBatchSize: 16, seed: 1), DecayOptimizer(optimizer, 0.1f), batchSize: 16, shuffleSeed: 1);
        first.TrainEpoch(data);
        first.TrainEpoch(data);
        string path = Path.Combine(_directory, optimizer + ".ckpt");
        first.SaveCheckpoint(path);

        var resumedNet = new CheckpointNet(maxBatchSize: 16, seed: 999);
        var resumed = new Trainer<CheckpointNet>(resumedNet, DecayOptimizer(optimizer, 0.1f), batchSize: 16, shuffleSeed: 999);
        resumed.LoadCheckpoint(path);
        resumed.TrainEpoch(data);
        Assert.True(straightNet.Parameters.SequenceEqual(resumedNet.Parameters));

        // Another weight decay is another optimizer: refused, naming both.
        var otherDecay = new Trainer<CheckpointNet>(new CheckpointNet(16), DecayOptimizer(optimizer, 0.2f), batchSize: 16);
        string message = Assert.Throws<InvalidDataException>(() => otherDecay.LoadCheckpoint(path)).Message;
        Assert.Contains("weightDecay: 0.1)", message);
        Assert.Contains("weightDecay: 0.2)", message);
    }

    [Fact]
    public void A_checkpoint_of_sgd_without_weight_decay_restores_into_sgd_with_the_two_parameter_settings()
    {
        // Sgd's description names its weight decay only when it is not zero, so checkpoints written before Sgd had
        // one (the same text as now) restore into Sgd(learningRate, momentum); a decay of 0 is the same algorithm.
        Assert.Equal("Sgd(learningRate: 0.05, momentum: 0.9)", new Sgd(0.05f, 0.9f).Description);
        Assert.Equal(new Sgd(0.05f, 0.9f).Description, new Sgd(0.05f, 0.9f, 0f).Description);
        Assert.Equal("Sgd(learningRate: 0.05, momentum: 0, weightDecay: 0.001)", new Sgd(0.05f, weightDecay: 0.001f).Description);
        var trainer = new Trainer<CheckpointNet>(new CheckpointNet(16, seed: 1), new Sgd(0.05f, 0.9f), batchSize: 16, shuffleSeed: 1);
        trainer.TrainEpoch(Data());
        string path = Path.Combine(_directory, "sgd.ckpt");
        trainer.SaveCheckpoint(path);
        new Trainer<CheckpointNet>(new CheckpointNet(16), new Sgd(0.05f, 0.9f, weightDecay: 0f), batchSize: 16).LoadCheckpoint(path);
        var decayed = new Trainer<CheckpointNet>(new CheckpointNet(16), new Sgd(0.05f, 0.9f, weightDecay: 0.01f), batchSize: 16);
        Assert.Contains("weightDecay: 0.01", Assert.Throws<InvalidDataException>(() => decayed.LoadCheckpoint(path)).Message);
    }

    [Fact]
    public void A_damaged_checkpoint_is_refused_and_nothing_changes()
    {
        Trainer<CheckpointNet> trainer = NewTrainer(out CheckpointNet net, seed: 2);
        trainer.TrainEpoch(Data());
        string path = Path.Combine(_directory, "damaged.ckpt");
        trainer.SaveCheckpoint(path);
        byte[] bytes = File.ReadAllBytes(path);

        Trainer<CheckpointNet> other = NewTrainer(out CheckpointNet otherNet, seed: 3);
        float[] before = otherNet.Parameters.ToArray();
        foreach ((string name, byte[] damaged, string phrase) in new[]
        {
            ("flipped", Flip(bytes, bytes.Length / 2), "checksum"),
            ("truncated", bytes[..^10], "checksum"),
            ("not a checkpoint", new byte[40], "signature"),
        })
        {
            string damagedPath = Path.Combine(_directory, name + ".ckpt");
            File.WriteAllBytes(damagedPath, damaged);
            var e = Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(damagedPath));
            Assert.Contains(damagedPath, e.Message);
            Assert.Contains(phrase, e.Message);
            Assert.True(before.AsSpan().SequenceEqual(otherNet.Parameters), name);
            Assert.Equal(0, other.Epochs);
        }
    }

    [Fact]
    public void A_checkpoint_of_another_network_or_optimizer_is_refused()
    {
        Trainer<CheckpointNet> trainer = NewTrainer(out _, seed: 4);
        trainer.TrainEpoch(Data());
        string path = Path.Combine(_directory, "net.ckpt");
        trainer.SaveCheckpoint(path);

        var otherShape = new Trainer<OtherShapeNet>(new OtherShapeNet(16), new Adam(0.01f), batchSize: 16);
        Assert.Contains("dense1.weight[2,16]", Assert.Throws<InvalidDataException>(() => otherShape.LoadCheckpoint(path)).Message);

        var otherOptimizer = new Trainer<CheckpointNet>(new CheckpointNet(16), new Adam(0.02f), batchSize: 16);
        Assert.Contains("Adam(learningRate: 0.02", Assert.Throws<InvalidDataException>(() => otherOptimizer.LoadCheckpoint(path)).Message);
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_intact()
    {
        Trainer<CheckpointNet> trainer = NewTrainer(out _, seed: 5);
        string path = Path.Combine(_directory, "keep.ckpt");
        trainer.SaveCheckpoint(path);
        byte[] previous = File.ReadAllBytes(path);

        var failing = new Trainer<CheckpointNet>(new CheckpointNet(16), new FailingOptimizer(), batchSize: 16);
        Assert.Throws<IOException>(() => failing.SaveCheckpoint(path));

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_directory));
    }

    [Fact]
    public void NaN_inputs_stop_training_at_their_step_with_the_last_good_parameters()
    {
        Dataset data = Data(64);
        data.Images[2 * 40] = float.NaN; // example 40: in the third batch of 16 unless shuffled elsewhere
        var net = new CheckpointNet(maxBatchSize: 16, seed: 6);
        var trainer = new Trainer<CheckpointNet>(net, new Adam(0.01f), batchSize: 16, shuffleSeed: 6);

        var e = Assert.Throws<NonFiniteLossException>(() => trainer.TrainEpoch(data));

        Assert.Matches(@"step \d+ \(batch \d+ of epoch 1\)", e.Message);
        Assert.Contains("not finite", e.Message);
        Assert.True(float.IsNaN(e.Loss));
        Assert.All(net.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));
        Assert.True(trainer.Steps < 4);
    }

    [Fact]
    public void A_diverging_run_stops_before_its_parameters_go_bad()
    {
        var net = new CheckpointNet(maxBatchSize: 16, seed: 7);
        var trainer = new Trainer<CheckpointNet>(net, new Sgd(1e18f), batchSize: 16, shuffleSeed: 7);

        var e = Assert.Throws<NonFiniteLossException>(() => { for (int i = 0; i < 50; i++) trainer.TrainEpoch(Data()); });

        Assert.Contains("diverged", e.Message);
        Assert.All(net.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    /// <summary>An optimizer whose state cannot be written: the save fails before anything reaches the disk.</summary>
    private sealed class FailingOptimizer : IStatefulOptimizer
    {
        public string Description => "failing";
        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) { }
        public void WriteState(BinaryWriter writer)
        {
            writer.Write(new byte[1024]);
            throw new IOException("simulated failure while writing the optimizer state");
        }
        public void ReadState(BinaryReader reader, int parameterCount) { }
    }
}
