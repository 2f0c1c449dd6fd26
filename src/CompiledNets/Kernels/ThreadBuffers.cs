using System;

namespace CompiledNets.Kernels;

/// <summary>
/// The kernels' scratch buffers: each lives in a <c>[ThreadStatic]</c> slot of the kernel that uses it, is allocated the
/// first time a thread needs it (or needs it larger), and is reused after that, so that a warmed-up pass allocates nothing.
/// </summary>
internal static class ThreadBuffers
{
    /// <summary>The array in <paramref name="slot"/>, replaced by a new one of at least <paramref name="length"/> (and <paramref name="minimum"/>) floats when it is missing or shorter.</summary>
    public static float[] Floats(ref float[]? slot, long length, int minimum)
    {
        float[]? buffer = slot;
        if (buffer is null || buffer.Length < length)
            slot = buffer = new float[Math.Max(length, minimum)];
        return buffer;
    }

    /// <summary>The array in <paramref name="slot"/>, replaced by a new one of at least <paramref name="length"/> (and <paramref name="minimum"/>) ints when it is missing or shorter.</summary>
    public static int[] Ints(ref int[]? slot, long length, int minimum)
    {
        int[]? buffer = slot;
        if (buffer is null || buffer.Length < length)
            slot = buffer = new int[Math.Max(length, minimum)];
        return buffer;
    }
}
