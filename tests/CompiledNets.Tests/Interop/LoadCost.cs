using System;
using System.Diagnostics;
using System.Linq;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// The loading target for the reference network (784-200-100-10, 178,110 parameters, 712,440 bytes of
/// float32): at most 10 ms and at most twice the weights' size allocated. The median of 25 warm loads (after 3) is
/// judged, and the most any one of them allocated.
/// </summary>
internal static class LoadCost
{
    private const int Loads = 25;

    public static void AssertWithinTarget(Action load, string what, ITestOutputHelper output)
    {
        for (int i = 0; i < 3; i++) load(); // warm up
        var times = new double[Loads];
        var bytes = new long[Loads];
        for (int i = 0; i < Loads; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            load();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            bytes[i] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long weights = 4L * ReferenceNet.ParameterCount;
        double median = times.Order().ElementAt(Loads / 2);
        long allocated = bytes.Max();
        output.WriteLine($"{what}: median {median:F2} ms (min {times.Min():F2}, max {times.Max():F2}), " +
                         $"allocated {allocated:N0} bytes = {(double)allocated / weights:F2}x the {weights:N0} bytes of weights");
        Assert.True(allocated <= 2 * weights, $"allocated {allocated:N0} bytes, more than twice the weights' {weights:N0}");
        Assert.True(median <= 10, $"median load {median:F2} ms, more than 10 ms");
    }
}
