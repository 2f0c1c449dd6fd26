using System.Collections.Generic;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.FastKernels;

/// <summary>The vector levels this machine runs, widest first: a kernel test runs each of them.</summary>
internal static class SupportedLevels
{
    public static IEnumerable<SimdLevel> All()
    {
        foreach (SimdLevel level in new[] { SimdLevel.Vector512, SimdLevel.Vector256, SimdLevel.Vector128, SimdLevel.Scalar })
            if (Simd.IsSupported(level)) yield return level;
    }
}
