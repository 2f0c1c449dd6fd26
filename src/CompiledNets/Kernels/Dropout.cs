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
    /// SplitMix64's output <c>i</c> is a function of its counter alone, so the outputs are computed a vector at a time
    /// (8 per <see cref="Vector512{T}"/>, 4 per 256-bit vector, 2 per 128-bit one); the masks are the same, bit for bit,
    /// as drawing the outputs one by one, at every vector width.
    /// </remarks>
    public static void SampleMask(Span<float> mask, float keepProbability, float keptValue, ref SplitMix64 rng)
        => SampleMask(Simd.Level, mask, keepProbability, keptValue, ref rng);

    /// <summary><see cref="SampleMask(Span{float}, float, float, ref SplitMix64)"/> at a chosen vector width (for tests).</summary>
    internal static void SampleMask(SimdLevel level, Span<float> mask, float keepProbability, float keptValue, ref SplitMix64 rng)
    {
        if (!(keepProbability > 0f && keepProbability <= 1f))
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "Must be in (0, 1].");
        ulong threshold = (ulong)Math.Round(keepProbability * 4294967296.0);
        int i = 0;
        if (threshold <= uint.MaxValue)
        {
            i = level switch
            {
                SimdLevel.Vector512 => CounterSampler<Vector512<ulong>, CounterLanes512>.Run(mask, new KeptWriter<Vector512<ulong>, CounterLanes512>((uint)threshold, keptValue), ref rng),
                SimdLevel.Vector256 => CounterSampler<Vector256<ulong>, CounterLanes256>.Run(mask, new KeptWriter<Vector256<ulong>, CounterLanes256>((uint)threshold, keptValue), ref rng),
                SimdLevel.Vector128 => CounterSampler<Vector128<ulong>, CounterLanes128>.Run(mask, new KeptWriter<Vector128<ulong>, CounterLanes128>((uint)threshold, keptValue), ref rng),
                _ => 0,
            };
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

    /// <summary>Writes a kept value where a 32-bit half is below the threshold, 0 elsewhere: the dropout mask.</summary>
    private readonly struct KeptWriter<TU, TC>(uint threshold, float kept) : ILaneWriter<TU> where TU : unmanaged where TC : ICounterLanes<TU>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ref float destination, int index, TU bits) => TC.StoreKept(ref destination, index, bits, threshold, kept);
    }
}

/// <summary>What a <see cref="CounterSampler{TU, TC}"/> writes for one vector of stream outputs (two floats per output).</summary>
internal interface ILaneWriter<TU> where TU : unmanaged
{
    void Write(ref float destination, int index, TU bits);
}

/// <summary>
/// The whole vectors of a sample drawn from the mask stream, written once for every width: the stream's outputs a vector
/// at a time, each turned into two floats by <typeparamref name="TC"/> through a writer.
/// </summary>
internal static class CounterSampler<TU, TC> where TU : unmanaged where TC : ICounterLanes<TU>
{
    /// <summary>Whole vectors of floats (two per 64-bit output); returns how many elements were written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Run<TW>(Span<float> mask, TW writer, ref SplitMix64 rng) where TW : struct, ILaneWriter<TU>
    {
        int outputs = TC.Outputs, width = 2 * outputs;
        int vectors = mask.Length / width;
        if (vectors == 0) return 0;
        ulong state = rng.State;
        // Lane l of the first vector holds the counter of output l: state + (l + 1) · Increment.
        TU counter = TC.Counters(state, SplitMix64.Increment);
        TU step = TC.Broadcast(unchecked((ulong)outputs * SplitMix64.Increment));
        ref float destination = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
        for (int v = 0; v < vectors; v++)
        {
            TU z = Mix(counter);
            // As 32-bit lanes the outputs read low half, high half, low, high...: the elements in order.
            writer.Write(ref destination, v * width, z);
            counter = TC.Add(counter, step);
        }
        rng.State = state + (ulong)vectors * (ulong)outputs * SplitMix64.Increment;
        return vectors * width;
    }

    /// <summary><see cref="SplitMix64.Mix"/> on every 64-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TU Mix(TU z)
    {
        z = TC.Multiply(TC.Xor(z, TC.ShiftRight(z, 30)), 0xBF58476D1CE4E5B9UL);
        z = TC.Multiply(TC.Xor(z, TC.ShiftRight(z, 27)), 0x94D049BB133111EBUL);
        return TC.Xor(z, TC.ShiftRight(z, 31));
    }
}

/// <summary>
/// 64-bit counter lanes for the mask sampler (and DropConnect's row seeds): the SplitMix64 steps on a vector of counters
/// and the comparison of its 32-bit halves with the threshold, stored as one float mask vector of the same width.
/// </summary>
internal interface ICounterLanes<TU> where TU : unmanaged
{
    /// <summary>64-bit lanes per vector.</summary>
    static abstract int Outputs { get; }
    /// <summary>Lane l is <c>state + (l + 1) · increment</c>.</summary>
    static abstract TU Counters(ulong state, ulong increment);
    static abstract TU Broadcast(ulong x);
    static abstract TU Add(TU a, TU b);
    static abstract TU Xor(TU a, TU b);
    static abstract TU ShiftRight(TU a, int bits);
    static abstract TU Multiply(TU a, ulong b);
    /// <summary>Writes, at element <paramref name="index"/>, <paramref name="kept"/> where a 32-bit half of <paramref name="bits"/> is below the threshold, 0 elsewhere.</summary>
    static abstract void StoreKept(ref float destination, int index, TU bits, uint threshold, float kept);
    /// <summary>Writes, at element <paramref name="index"/>, the uniform of each 32-bit half h: ((h &gt;&gt; 9) + 0.5) / 2²³, exact, in (0, 1).</summary>
    static abstract void StoreUniform(ref float destination, int index, TU bits);
    /// <summary>Writes, at element <paramref name="index"/>, the low 32 bits of each 64-bit lane, one per lane (DropConnect's row seeds).</summary>
    static abstract void StoreLowHalves(ref uint destination, int index, TU bits);
}

/// <summary><see cref="ICounterLanes{TU}"/> on 512-bit vectors: 8 outputs, 16 mask elements.</summary>
internal readonly struct CounterLanes512 : ICounterLanes<Vector512<ulong>>
{
    public static int Outputs => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Counters(ulong state, ulong increment) => Vector512.Create(state) + (Vector512<ulong>.Indices + Vector512<ulong>.One) * increment;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<ulong> Broadcast(ulong x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<ulong> Add(Vector512<ulong> a, Vector512<ulong> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<ulong> Xor(Vector512<ulong> a, Vector512<ulong> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<ulong> ShiftRight(Vector512<ulong> a, int bits) => a >> bits;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<ulong> Multiply(Vector512<ulong> a, ulong b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreKept(ref float destination, int index, Vector512<ulong> bits, uint threshold, float kept) =>
        (Vector512.LessThan(bits.AsUInt32(), Vector512.Create(threshold)).AsSingle() & Vector512.Create(kept)).StoreUnsafe(ref destination, (nuint)index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreUniform(ref float destination, int index, Vector512<ulong> bits) =>
        ((Vector512.ConvertToSingle((bits.AsUInt32() >> 9).AsInt32()) + Vector512.Create(0.5f)) * Vector512.Create(1f / 8388608f)).StoreUnsafe(ref destination, (nuint)index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowHalves(ref uint destination, int index, Vector512<ulong> bits) =>
        Vector256.Narrow(bits.GetLower(), bits.GetUpper()).StoreUnsafe(ref destination, (nuint)index);
}

/// <summary><see cref="ICounterLanes{TU}"/> on 256-bit vectors: 4 outputs, 8 mask elements.</summary>
internal readonly struct CounterLanes256 : ICounterLanes<Vector256<ulong>>
{
    public static int Outputs => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Counters(ulong state, ulong increment) => Vector256.Create(state) + (Vector256<ulong>.Indices + Vector256<ulong>.One) * increment;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<ulong> Broadcast(ulong x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<ulong> Add(Vector256<ulong> a, Vector256<ulong> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<ulong> Xor(Vector256<ulong> a, Vector256<ulong> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<ulong> ShiftRight(Vector256<ulong> a, int bits) => a >> bits;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<ulong> Multiply(Vector256<ulong> a, ulong b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreKept(ref float destination, int index, Vector256<ulong> bits, uint threshold, float kept) =>
        (Vector256.LessThan(bits.AsUInt32(), Vector256.Create(threshold)).AsSingle() & Vector256.Create(kept)).StoreUnsafe(ref destination, (nuint)index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreUniform(ref float destination, int index, Vector256<ulong> bits) =>
        ((Vector256.ConvertToSingle((bits.AsUInt32() >> 9).AsInt32()) + Vector256.Create(0.5f)) * Vector256.Create(1f / 8388608f)).StoreUnsafe(ref destination, (nuint)index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowHalves(ref uint destination, int index, Vector256<ulong> bits) =>
        Vector128.Narrow(bits.GetLower(), bits.GetUpper()).StoreUnsafe(ref destination, (nuint)index);
}

/// <summary><see cref="ICounterLanes{TU}"/> on 128-bit vectors: 2 outputs, 4 mask elements.</summary>
internal readonly struct CounterLanes128 : ICounterLanes<Vector128<ulong>>
{
    public static int Outputs => 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Counters(ulong state, ulong increment) => Vector128.Create(state) + (Vector128<ulong>.Indices + Vector128<ulong>.One) * increment;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<ulong> Broadcast(ulong x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<ulong> Add(Vector128<ulong> a, Vector128<ulong> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<ulong> Xor(Vector128<ulong> a, Vector128<ulong> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<ulong> ShiftRight(Vector128<ulong> a, int bits) => a >> bits;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<ulong> Multiply(Vector128<ulong> a, ulong b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreKept(ref float destination, int index, Vector128<ulong> bits, uint threshold, float kept) =>
        (Vector128.LessThan(bits.AsUInt32(), Vector128.Create(threshold)).AsSingle() & Vector128.Create(kept)).StoreUnsafe(ref destination, (nuint)index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreUniform(ref float destination, int index, Vector128<ulong> bits) =>
        ((Vector128.ConvertToSingle((bits.AsUInt32() >> 9).AsInt32()) + Vector128.Create(0.5f)) * Vector128.Create(1f / 8388608f)).StoreUnsafe(ref destination, (nuint)index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowHalves(ref uint destination, int index, Vector128<ulong> bits) =>
        Vector64.Narrow(bits.GetLower(), bits.GetUpper()).StoreUnsafe(ref destination, (nuint)index);
}
