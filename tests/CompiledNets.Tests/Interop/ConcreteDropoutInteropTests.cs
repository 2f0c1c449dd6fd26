using System;
using System.Linq;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Data;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// Concrete dropout in and out of the process: ONNX sees the identity it is at inference (no node; the logit is neither
/// saved nor loaded), PyTorch's state dicts have no place for the learned logit (a clear NotSupportedException), and
/// checkpoints carry it as part of Parameters.
/// </summary>
public sealed class ConcreteDropoutInteropTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Onnx_save_writes_no_node_for_it_and_load_brings_the_weights_back_and_keeps_the_logit()
    {
        ICompiledNetwork network = OnnxTestSupport.Create(nameof(OnnxConcreteDropoutNet));
        string path = _directory.File("concrete.onnx");
        Onnx.Save(network, path);
        ModelProto model = OnnxTestSupport.ReadModel(path);
        Assert.Equal(["Gemm", "Relu", "Gemm", "Softmax"], model.Graph.Node.Select(n => n.OpType));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name.Contains("concrete", StringComparison.Ordinal));

        var fresh = new OnnxConcreteDropoutNet(8, seed: 5);
        float logit = fresh.Parameters[fresh.ParameterTensors.Single(t => t.Name == "concrete2.logit").Offset];
        Onnx.Load(fresh, path);
        foreach (ParameterTensor tensor in fresh.ParameterTensors)
        {
            float[] loaded = fresh.Parameters.Slice(tensor.Offset, tensor.Length).ToArray();
            if (tensor.Name.StartsWith("dense", StringComparison.Ordinal))
                Assert.Equal(network.Parameters.Slice(tensor.Offset, tensor.Length).ToArray(), loaded);
        }
        Assert.Equal(logit, fresh.Parameters[fresh.ParameterTensors.Single(t => t.Name == "concrete2.logit").Offset]);

        float[] x = Numerics.TestData.Gaussian(2 * OnnxConcreteDropoutNet.InputSize, seed: 3);
        var expected = new float[2 * OnnxConcreteDropoutNet.OutputSize];
        var actual = new float[expected.Length];
        network.Predict(x, expected, 2);
        fresh.Predict(x, actual, 2);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void PyTorch_state_dicts_refuse_the_learned_logit_with_a_clear_NotSupportedException()
    {
        var network = new OnnxConcreteDropoutNet(8, seed: 1);
        string path = _directory.File("concrete.safetensors");
        var save = Assert.Throws<NotSupportedException>(() => PyTorch.SaveStateDict(network, path));
        Assert.Contains("concrete1.logit", save.Message);
        Assert.Contains("ConcreteDropout", save.Message);
        var load = Assert.Throws<NotSupportedException>(() => PyTorch.LoadStateDict(network, path));
        Assert.Contains("concrete1.logit", load.Message);
    }

    [Fact]
    public void A_checkpoint_carries_the_learned_logit()
    {
        var rng = new Randomness.SplitMix64(3);
        var images = new float[64 * OnnxConcreteDropoutNet.InputSize];
        var labels = new int[64];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextGaussian();
        for (int i = 0; i < labels.Length; i++) labels[i] = i % 3;
        var data = new Dataset(images, labels, OnnxConcreteDropoutNet.InputSize);

        var net = new OnnxConcreteDropoutNet(16, seed: 1);
        var trainer = new Trainer<OnnxConcreteDropoutNet>(net, new Adam(0.05f), batchSize: 16, shuffleSeed: 1);
        trainer.TrainEpoch(data);
        trainer.TrainEpoch(data);
        double[] trained = ConcreteDropoutRates.Of(net);
        Assert.NotEqual(0.2, trained[0], 6); // the rate moved
        string path = _directory.File("concrete.ckpt");
        trainer.SaveCheckpoint(path);

        var resumedNet = new OnnxConcreteDropoutNet(16, seed: 999);
        new Trainer<OnnxConcreteDropoutNet>(resumedNet, new Adam(0.05f), batchSize: 16, shuffleSeed: 9).LoadCheckpoint(path);
        Assert.Equal(trained, ConcreteDropoutRates.Of(resumedNet));
        Assert.True(net.Parameters.SequenceEqual(resumedNet.Parameters));
    }
}
