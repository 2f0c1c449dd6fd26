using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Randomness;

/// <summary>
/// Steele, Lea and Flood's SplitMix64: a 64-bit counter pushed through a strong mixing function. Output
/// <c>i</c> depends only on the seed and <c>i</c>, so a stream is reproducible from its seed alone and can
/// be generated in parallel lanes (which the mask sampler does). Not cryptographic.
/// </summary>
public struct SplitMix64
{
    /// <summary>The Weyl-sequence increment (2^64 / golden ratio).</summary>
    public const ulong Increment = 0x9E3779B97F4A7C15UL;

    private ulong _state;

    /// <summary>Starts a stream at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The counter: the next output is <c>Mix(State + Increment)</c>.</summary>
    public ulong State
    {
        readonly get => _state;
        set => _state = value;
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        _state += Increment;
        return Mix(_state);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Box–Muller; one of the pair is discarded to keep the state a single counter).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniform integer in [0, <paramref name="exclusiveMax"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt32(int exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "Must be positive.");
        ulong range = (ulong)exclusiveMax;
        // (x * range) >> 32 for a 32-bit uniform x; rejecting the few low words below the threshold removes the bias.
        uint threshold = (uint)((0x1_0000_0000UL - range) % range);
        while (true)
        {
            ulong m = (NextUInt64() >> 32) * range;
            if ((uint)m >= threshold) return (int)(m >> 32);
        }
    }

    /// <summary>The SplitMix64 finalizer (a bijection on 64-bit values with full avalanche).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
