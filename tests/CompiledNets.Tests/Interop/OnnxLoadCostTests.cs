using System;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// The target for loading the reference network from .onnx (<see cref="LoadCost"/>: at most 10 ms and at most
/// twice the weights' size allocated): the model <see cref="Onnx.Save"/> writes, and the same model in the layout
/// torch.onnx.export writes nn.Linear in (Gemm transB = 1, weights [out, in], transposed by the load).
/// </summary>
public sealed class OnnxLoadCostTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_reference_network_loads_within_10_ms_allocating_at_most_twice_its_weights(bool pytorchLayout)
    {
        var source = new ReferenceNet(maxBatchSize: 1, seed: 1);
        string path = _directory.File("reference.onnx");
        Onnx.Save(source, path);
        if (pytorchLayout)
        {
            ModelProto model = OnnxTestSupport.ReadModel(path);
            model.TransposeGemmWeights();
            OnnxTestSupport.WriteModel(model, path);
        }
        var net = new ReferenceNet(maxBatchSize: 1, seed: 2);

        LoadCost.AssertWithinTarget(() => Onnx.Load(net, path), pytorchLayout ? "onnx, Gemm transB = 1" : "onnx, as saved", output);

        Assert.Equal(OnnxTestSupport.Bytes(source.Parameters), OnnxTestSupport.Bytes(net.Parameters));
    }
}
