using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>Dropout mask sampling. A mask holds <c>keptValue</c> for kept units and 0 for dropped ones.</summary>
public static class Dropout
{
    /// <summary>
    /// The mask stream a network uses after <c>Reseed(seed)</c> (and after construction with that seed). It is
    /// decorrelated from the weight-initialization stream of the same seed.
    /// </summary>
    public static SplitMix64 CreateMaskStream(ulong seed) => new(SplitMix64.Mix(seed ^ 0x6A09E667F3BCC909UL));

    /// <summary>
    /// Fills <paramref name="mask"/>: each element independently is <paramref name="keptValue"/> with probability
    /// <paramref name="keepProbability"/>, else 0. Two elements are drawn from each 64-bit output, by comparing
    /// its 32-bit halves (low half first) with <c>keepProbability · 2³²</c> (exact for every probability representable
    /// in 32 bits); an odd last element uses the low half of one more output. The stream advances by one output per
    /// two elements, rounded up.
    /// </summary>
    /// <remarks>
    /// SplitMix64's output <c>i</c> is a function of its counter alone, so the outputs are computed 8 at a time in the
    /// lanes of a vector (or 4 without AVX-512); the masks are the same, bit for bit, as drawing the outputs one by one.
    /// </remarks>
    public static void SampleMask(Span<float> mask, float keepProbability, float keptValue, ref SplitMix64 rng)
    {
        if (!(keepProbability > 0f && keepProbability <= 1f))
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "Must be in (0, 1].");
        ulong threshold = (ulong)Math.Round(keepProbability * 4294967296.0);
        int i = 0;
        if (threshold <= uint.MaxValue)
        {
            if (Vector512.IsHardwareAccelerated)
                i = SampleVectors512(mask, (uint)threshold, keptValue, ref rng);
            else if (Vector256.IsHardwareAccelerated)
                i = SampleVectors256(mask, (uint)threshold, keptValue, ref rng);
        }
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong bits = rng.NextUInt64();
            mask[i] = (bits & 0xFFFF_FFFFUL) < threshold ? keptValue : 0f;
            mask[i + 1] = (bits >> 32) < threshold ? keptValue : 0f;
        }
        if (i < mask.Length)
            mask[i] = (rng.NextUInt64() & 0xFFFF_FFFFUL) < threshold ? keptValue : 0f;
    }

    /// <summary>Whole vectors of 16 elements (8 outputs); returns how many elements were written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SampleVectors512(Span<float> mask, uint threshold, float keptValue, ref SplitMix64 rng)
    {
        int vectors = mask.Length / 16;
        if (vectors == 0) return 0;
        ulong state = rng.State;
        // Lane l of the first vector holds the counter of output l: state + (l + 1) · Increment.
        Vector512<ulong> counter = Vector512.Create(state) + (Vector512<ulong>.Indices + Vector512<ulong>.One) * SplitMix64.Increment;
        Vector512<ulong> step = Vector512.Create(unchecked(8 * SplitMix64.Increment));
        Vector512<uint> limit = Vector512.Create(threshold);
        Vector512<float> kept = Vector512.Create(keptValue);
        ref float destination = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
        for (int v = 0; v < vectors; v++)
        {
            Vector512<ulong> z = counter;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            // As 32-bit lanes the outputs read low half, high half, low, high...: the elements in order.
            Vector512<float> keep = Vector512.LessThan(z.AsUInt32(), limit).AsSingle();
            (keep & kept).StoreUnsafe(ref destination, (nuint)(v * 16));
            counter += step;
        }
        rng.State = state + (ulong)vectors * 8 * SplitMix64.Increment;
        return vectors * 16;
    }

    /// <summary>Whole vectors of 8 elements (4 outputs); returns how many elements were written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SampleVectors256(Span<float> mask, uint threshold, float keptValue, ref SplitMix64 rng)
    {
        int vectors = mask.Length / 8;
        if (vectors == 0) return 0;
        ulong state = rng.State;
        Vector256<ulong> counter = Vector256.Create(state) + (Vector256<ulong>.Indices + Vector256<ulong>.One) * SplitMix64.Increment;
        Vector256<ulong> step = Vector256.Create(unchecked(4 * SplitMix64.Increment));
        Vector256<uint> limit = Vector256.Create(threshold);
        Vector256<float> kept = Vector256.Create(keptValue);
        ref float destination = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
        for (int v = 0; v < vectors; v++)
        {
            Vector256<ulong> z = counter;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            Vector256<float> keep = Vector256.LessThan(z.AsUInt32(), limit).AsSingle();
            (keep & kept).StoreUnsafe(ref destination, (nuint)(v * 8));
            counter += step;
        }
        rng.State = state + (ulong)vectors * 4 * SplitMix64.Increment;
        return vectors * 8;
    }
}
