using System;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Interop;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>
/// The issue's target for loading the reference network (<see cref="LoadCost"/>: at most 10 ms and at most twice the
/// weights' size allocated), from .pt and from .safetensors. The .pt file is written as torch.save writes it (TorchFiles).
/// </summary>
public sealed class PyTorchLoadCostTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("pt", false)]
    [InlineData("pt", true)]
    [InlineData("safetensors", false)]
    [InlineData("safetensors", true)]
    public void The_reference_network_loads_within_10_ms_allocating_at_most_twice_its_weights(string format, bool passModules)
    {
        var source = new ReferenceNet(maxBatchSize: 1, seed: 1);
        string[] modules = ["0", "3", "6"];
        string path = _directory.File("reference." + format);
        if (format == "pt") TorchFiles.WriteStateDict(path, TorchFiles.FromNetwork(source, modules));
        else PyTorch.SaveStateDict(source, path);
        var net = new ReferenceNet(maxBatchSize: 1, seed: 2);

        LoadCost.AssertWithinTarget(() => PyTorch.LoadStateDict(net, path, passModules ? modules : null),
            $"{format}, modules {(passModules ? "given" : "inferred")}", output);

        Assert.Equal(StateDictFixtures.Bits(source), StateDictFixtures.Bits(net));
    }
}
