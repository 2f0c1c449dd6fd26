using System;
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
    /// its 32-bit halves with <c>keepProbability · 2³²</c> (exact for every probability representable in 32 bits).
    /// </summary>
    public static void SampleMask(Span<float> mask, float keepProbability, float keptValue, ref SplitMix64 rng)
    {
        if (!(keepProbability > 0f && keepProbability <= 1f))
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "Must be in (0, 1].");
        ulong threshold = (ulong)Math.Round(keepProbability * 4294967296.0);
        int i = 0;
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong bits = rng.NextUInt64();
            mask[i] = (bits & 0xFFFF_FFFFUL) < threshold ? keptValue : 0f;
            mask[i + 1] = (bits >> 32) < threshold ? keptValue : 0f;
        }
        if (i < mask.Length)
            mask[i] = (rng.NextUInt64() & 0xFFFF_FFFFUL) < threshold ? keptValue : 0f;
    }
}
