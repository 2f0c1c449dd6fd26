using System;
using CompiledNets.Tests.Networks;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// After the first step (which allocates the moments or the velocity), a step allocates nothing on the managed heap.
/// Run alone, as the other allocation tests (see <see cref="ZeroAllocationTests.WarmUp"/>).
/// </summary>
[Collection(nameof(AllocationCollection))]
public class OptimizerAllocationTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { "adamw", 1 }, { "adamw", 2 }, { "sgd-decay", 1 }, { "sgd-momentum-decay", 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_step_allocates_nothing_after_the_first(string name, int threads)
    {
        IOptimizer optimizer = name switch
        {
            "adamw" => new AdamW(),
            "sgd-decay" => new Sgd(0.01f, weightDecay: 1e-4f),
            "sgd-momentum-decay" => new Sgd(0.01f, 0.9f, 1e-4f),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        // The reference network's layout: large enough for the two-thread split, with a tail at every vector width.
        var net = new ReferenceNet(seed: 1);
        float[] gradients = TestData.Gaussian(ReferenceNet.ParameterCount, seed: 2, scale: 1e-3);
        void Step() => Kernels.OptimizerStep.Run(optimizer, net.Parameters, gradients, threads, net.ParameterTensors);
        ZeroAllocationTests.WarmUp(Step);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated by 10 steps of {optimizer.GetType().Name}");
    }
}
