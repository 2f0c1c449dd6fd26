using System;
using System.Diagnostics;
using System.Linq;
using CompiledNets.Tests.Data;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>
/// The issue's target for loading the reference network (784-200-100-10, 178,110 parameters, 712,440 bytes of
/// float32): at most 10 ms and at most twice the weights' size allocated, from .pt and from .safetensors. The .pt file
/// is written as torch.save writes it (TorchFiles); the median of 25 warm loads is judged.
/// </summary>
public sealed class PyTorchLoadCostTests(ITestOutputHelper output) : IDisposable
{
    private const int Loads = 25;
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

        for (int i = 0; i < 3; i++) PyTorch.LoadStateDict(net, path, passModules ? modules : null); // warm up
        var times = new double[Loads];
        var bytes = new long[Loads];
        for (int i = 0; i < Loads; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            PyTorch.LoadStateDict(net, path, passModules ? modules : null);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            bytes[i] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(StateDictFixtures.Bits(source), StateDictFixtures.Bits(net));

        long weights = 4L * ReferenceNet.ParameterCount;
        double median = times.Order().ElementAt(Loads / 2);
        long allocated = bytes.Max();
        output.WriteLine($"{format}, modules {(passModules ? "given" : "inferred")}: median {median:F2} ms (min {times.Min():F2}, max {times.Max():F2}), " +
                         $"allocated {allocated:N0} bytes = {(double)allocated / weights:F2}x the {weights:N0} bytes of weights");
        Assert.True(allocated <= 2 * weights, $"allocated {allocated:N0} bytes, more than twice the weights' {weights:N0}");
        Assert.True(median <= 10, $"median load {median:F2} ms, more than 10 ms");
    }
}
