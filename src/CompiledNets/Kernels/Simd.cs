using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CompiledNets.Kernels;

/// <summary>
/// The vector instruction set the kernels use, as static members of a struct, so that one generic kernel
/// (<c>Kernel&lt;TV, TS&gt;</c>) is compiled by the JIT into straight vector code for each instruction set.
/// Every member is a single instruction (or two) and inlined.
/// </summary>
/// <typeparam name="TV">The vector type: <see cref="Vector512{T}"/> or <see cref="Vector256{T}"/> of float.</typeparam>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }
    static abstract TV Zero { get; }
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    /// <summary>Every lane set to <c>*p</c>.</summary>
    static abstract TV Broadcast(float* p);
    static abstract TV Broadcast(float x);
    /// <summary><c>a · b + c</c>, one rounding.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    /// <summary>Bitwise or of the lanes' bit patterns.</summary>
    static abstract TV Or(TV a, TV b);
    /// <summary>Bit i set when lane i is not +0 (any bit of its pattern set).</summary>
    static abstract uint NonZeroLanes(TV v);
    /// <summary>
    /// Writes <c>first + i</c> for every lane i of <paramref name="v"/> that is not +0 to <paramref name="list"/>, in order,
    /// and returns how many; may write up to <see cref="Width"/> ints.
    /// </summary>
    static abstract int AppendNonZeroIndices(TV v, int first, int* list);
    /// <summary>Lanes of <paramref name="value"/> where <paramref name="test"/> &gt; 0, zero elsewhere.</summary>
    static abstract TV WherePositive(TV test, TV value);
    /// <summary>A mask of the first <paramref name="count"/> lanes (all lanes when count ≥ Width).</summary>
    static abstract TV FirstLanes(int count);
    /// <summary>Loads the lanes selected by <paramref name="mask"/>, zero elsewhere; never touches memory outside them.</summary>
    static abstract TV LoadMasked(float* p, TV mask);
    /// <summary>Stores the lanes selected by <paramref name="mask"/>; never touches memory outside them.</summary>
    static abstract void StoreMasked(float* p, TV v, TV mask);
}

/// <summary>AVX-512: 16 floats per vector, masked loads and stores in hardware.</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Width => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float* p) => Vector512.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(Vector512<float> v) => (uint)~Vector512.Equals(v.AsInt32(), Vector512<int>.Zero).ExtractMostSignificantBits() & 0xFFFFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AppendNonZeroIndices(Vector512<float> v, int first, int* list)
    {
        Vector512<int> nonZero = ~Vector512.Equals(v.AsInt32(), Vector512<int>.Zero);
        Vector512<int> indices = Vector512<int>.Indices + Vector512.Create(first);
        Avx512F.Compress(Vector512<int>.Zero, nonZero, indices).Store(list);
        return System.Numerics.BitOperations.PopCount(nonZero.ExtractMostSignificantBits());
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WherePositive(Vector512<float> test, Vector512<float> value) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(test, Vector512<float>.Zero), value, Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadMasked(float* p, Vector512<float> mask) => Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, Vector512<float> v, Vector512<float> mask) => Avx512F.MaskStore(p, mask, v);
}

/// <summary>AVX2 with FMA: 8 floats per vector; <c>vmaskmovps</c> for the masked lanes.</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Width => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float* p) => Vector256.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(Vector256<float> v) => ~Vector256.Equals(v.AsInt32(), Vector256<int>.Zero).ExtractMostSignificantBits() & 0xFFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AppendNonZeroIndices(Vector256<float> v, int first, int* list)
    {
        uint bits = NonZeroLanes(v);
        int count = 0;
        while (bits != 0)
        {
            list[count++] = first + System.Numerics.BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
        }
        return count;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WherePositive(Vector256<float> test, Vector256<float> value) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(test, Vector256<float>.Zero), value, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadMasked(float* p, Vector256<float> mask) => Avx.MaskLoad(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, Vector256<float> v, Vector256<float> mask) => Avx.MaskStore(p, mask, v);
}

/// <summary>Which instruction set the kernels run on: decided once, from the hardware, when the process first needs it.</summary>
internal enum SimdLevel
{
    /// <summary>Plain loops: no AVX2+FMA (or not x86).</summary>
    Scalar = 0,
    /// <summary><see cref="Simd256"/>.</summary>
    Avx2 = 256,
    /// <summary><see cref="Simd512"/>.</summary>
    Avx512 = 512,
}

internal static class Simd
{
    /// <summary>
    /// The best level this machine runs well. A <c>static readonly</c> field: the JIT folds it into a constant,
    /// so each dispatch on it compiles to a direct call.
    /// </summary>
    public static readonly SimdLevel Level =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? SimdLevel.Avx512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? SimdLevel.Avx2
        : SimdLevel.Scalar;

    /// <summary>Whether this machine can run kernels at <paramref name="level"/> (tests run every supported level).</summary>
    public static bool IsSupported(SimdLevel level) => level switch
    {
        SimdLevel.Avx512 => Avx512F.IsSupported,
        SimdLevel.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };
}
