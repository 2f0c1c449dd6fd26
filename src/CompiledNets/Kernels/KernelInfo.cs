namespace CompiledNets.Kernels;

/// <summary>
/// Which kernels this process runs: the vector width chosen once, at start-up, from what the runtime accelerates on this
/// machine (and, in a NativeAOT executable, from the instruction set it was published for — see the README).
/// </summary>
public static class KernelInfo
{
    /// <summary>Bits per vector register the matrix, mask and optimizer kernels use: 512, 256, 128, or 0 for plain loops.</summary>
    public static int VectorBits => (int)Simd.Level;

    /// <summary>A one-line description, e.g. <c>"256-bit vectors (AVX2, FMA), 1024 KB L2"</c>.</summary>
    public static string Description => Simd.Level switch
    {
        SimdLevel.Vector512 => "512-bit vectors (AVX-512)",
        SimdLevel.Vector256 => "256-bit vectors (AVX2, FMA)",
        SimdLevel.Vector128 => System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "128-bit vectors (AdvSimd)" : "128-bit vectors (SSE)",
        _ => "plain loops (no vector unit accelerated)",
    } + $", {CacheSizes.L2Bytes / 1024} KB L2";
}
