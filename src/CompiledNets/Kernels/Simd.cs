using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CompiledNets.Kernels;

/// <summary>
/// The vector instruction set the kernels use, as static members of a struct, so that one generic kernel
/// (<c>Kernel&lt;TV, TS&gt;</c>) is compiled by the JIT into straight vector code for each instruction set.
/// Every member is a single instruction (or two) and inlined.
/// </summary>
/// <typeparam name="TV">The vector type: <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/> or <see cref="Vector128{T}"/> of float.</typeparam>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    /// <summary>
    /// Whether masked loads and stores cost about as much as whole ones (AVX-512 and AVX2 have them in hardware; 128-bit
    /// vectors assemble them lane by lane), so that kernels may use them for whole vectors in their inner loops.
    /// </summary>
    static abstract bool FastMaskedMemory { get; }
    /// <summary>Vector registers the JIT allocates: 32 with AVX-512 and on ARM64, 16 with AVX2 and SSE.</summary>
    static abstract int Registers { get; }
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
    /// <summary>All bits set in the lanes where a &gt; b (false where either is NaN).</summary>
    static abstract TV GreaterThan(TV a, TV b);
    /// <summary>All bits set in the lanes that hold NaN.</summary>
    static abstract TV IsNaN(TV a);
    /// <summary>Per bit: <paramref name="a"/> where <paramref name="mask"/> is set, <paramref name="b"/> elsewhere.</summary>
    static abstract TV ConditionalSelect(TV mask, TV a, TV b);
    /// <summary>Bitwise or of the lanes' bit patterns.</summary>
    static abstract TV Or(TV a, TV b);
    /// <summary>Bitwise <c>a &amp; ~b</c> of the lanes' bit patterns.</summary>
    static abstract TV AndNot(TV a, TV b);
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
    static abstract TV Divide(TV a, TV b);
    static abstract TV Sqrt(TV a);
    /// <summary>The unbiased binary exponent of each lane, as a float: <c>floor(log2 x)</c> for positive normal x.</summary>
    static abstract TV Exponent(TV x);
    /// <summary>Zero where <c>|x| &lt; limit</c>, <paramref name="x"/> elsewhere (NaN lanes are kept).</summary>
    static abstract TV ZeroWhereSmall(TV x, TV limit);
    /// <summary>The sum of the lanes, added in a fixed order (so the same vector always gives the same bits).</summary>
    static abstract float Sum(TV v);
}

/// <summary>AVX-512: 16 floats per vector, masked loads and stores in hardware.</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static bool FastMaskedMemory => true;
    public static int Registers => 32;
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IsNaN(Vector512<float> a) => ~Vector512.Equals(a, a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ConditionalSelect(Vector512<float> mask, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exponent(Vector512<float> x) => Vector512.ConvertToSingle((x.AsInt32() >> 23) - Vector512.Create(127));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ZeroWhereSmall(Vector512<float> x, Vector512<float> limit) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), limit), Vector512<float>.Zero, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
}

/// <summary>AVX2 with FMA: 8 floats per vector; <c>vmaskmovps</c> for the masked lanes.</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static bool FastMaskedMemory => true;
    public static int Registers => 16;
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IsNaN(Vector256<float> a) => ~Vector256.Equals(a, a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ConditionalSelect(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(Vector256<float> v) => ~Vector256.Equals(v.AsInt32(), Vector256<int>.Zero).ExtractMostSignificantBits() & 0xFFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AppendNonZeroIndices(Vector256<float> v, int first, int* list)
    {
        // Branchless: the lanes' indices packed in order from a table of the 256 lane masks, widened to ints and stored
        // whole (a loop over the set bits mispredicts its exit about once a vector on sparse data).
        uint lanes = NonZeroLanes(v);
        Vector128<byte> packed = Vector128.CreateScalar(Simd.PackedLaneIndices[lanes]).AsByte();
        (Avx2.ConvertToVector256Int32(packed) + Vector256.Create(first)).Store(list);
        return System.Numerics.BitOperations.PopCount(lanes);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exponent(Vector256<float> x) => Vector256.ConvertToSingle((x.AsInt32() >> 23) - Vector256.Create(127));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ZeroWhereSmall(Vector256<float> x, Vector256<float> limit) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), limit), Vector256<float>.Zero, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
}

/// <summary>
/// 128-bit vectors, 4 floats: SSE on x64 machines without AVX2 (and NativeAOT builds for the x64 baseline), AdvSimd (NEON)
/// on ARM64. Only portable <see cref="Vector128"/> operations, so that the same code is tested on x64 (with
/// <c>DOTNET_EnableAVX2=0</c>) that runs on ARM64. Neither instruction set has masked loads, so a partial vector is
/// assembled lane by lane; multiply-add is fused where the hardware has it (always on ARM64) and a multiply and an add
/// otherwise (software fused multiply-add would be many times slower than the product it serves).
/// </summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static bool FastMaskedMemory => false;
    public static int Registers => System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? 32 : 16;
    public static int Width => 4;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float* p) => Vector128.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IsNaN(Vector128<float> a) => ~Vector128.Equals(a, a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ConditionalSelect(Vector128<float> mask, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(Vector128<float> v) => ~Vector128.Equals(v.AsInt32(), Vector128<int>.Zero).ExtractMostSignificantBits() & 0xFu;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AppendNonZeroIndices(Vector128<float> v, int first, int* list) => Simd.AppendSetBits(NonZeroLanes(v), first, list);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> WherePositive(Vector128<float> test, Vector128<float> value) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(test, Vector128<float>.Zero), value, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FirstLanes(int count) => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadMasked(float* p, Vector128<float> mask)
    {
        uint lanes = mask.ExtractMostSignificantBits();
        if (lanes == 0xFu) return Vector128.Load(p);
        return Vector128.Create(
            (lanes & 1u) != 0 ? p[0] : 0f, (lanes & 2u) != 0 ? p[1] : 0f,
            (lanes & 4u) != 0 ? p[2] : 0f, (lanes & 8u) != 0 ? p[3] : 0f);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, Vector128<float> v, Vector128<float> mask)
    {
        uint lanes = mask.ExtractMostSignificantBits();
        if (lanes == 0xFu)
        {
            v.Store(p);
            return;
        }
        if ((lanes & 1u) != 0) p[0] = v.GetElement(0);
        if ((lanes & 2u) != 0) p[1] = v.GetElement(1);
        if ((lanes & 4u) != 0) p[2] = v.GetElement(2);
        if ((lanes & 8u) != 0) p[3] = v.GetElement(3);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exponent(Vector128<float> x) => Vector128.ConvertToSingle((x.AsInt32() >> 23) - Vector128.Create(127));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ZeroWhereSmall(Vector128<float> x, Vector128<float> limit) =>
        Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(x), limit), Vector128<float>.Zero, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);
}

/// <summary>Which vector width the kernels run at: decided once, from the hardware, when the process first needs it.</summary>
internal enum SimdLevel
{
    /// <summary>Plain loops: no vector unit the runtime accelerates.</summary>
    Scalar = 0,
    /// <summary><see cref="Simd128"/>: SSE on x64 without AVX2, AdvSimd on ARM64.</summary>
    Vector128 = 128,
    /// <summary><see cref="Simd256"/>: AVX2 with FMA.</summary>
    Vector256 = 256,
    /// <summary><see cref="Simd512"/>: AVX-512F.</summary>
    Vector512 = 512,
}

internal static class Simd
{
    /// <summary>
    /// The widest level this machine runs well. A <c>static readonly</c> field: the JIT folds it into a constant,
    /// so each dispatch on it compiles to a direct call.
    /// </summary>
    public static readonly SimdLevel Level =
        IsSupported(SimdLevel.Vector512) ? SimdLevel.Vector512
        : IsSupported(SimdLevel.Vector256) ? SimdLevel.Vector256
        : IsSupported(SimdLevel.Vector128) ? SimdLevel.Vector128
        : SimdLevel.Scalar;

    /// <summary>For each 8-bit lane mask, the indices of its set bits in order, one per byte from the lowest (zeros after).</summary>
    internal static readonly ulong[] PackedLaneIndices = PackLaneIndices();

    private static ulong[] PackLaneIndices()
    {
        var table = new ulong[256];
        for (int mask = 0; mask < 256; mask++)
        {
            int count = 0;
            for (int lane = 0; lane < 8; lane++)
                if ((mask & (1 << lane)) != 0) table[mask] |= (ulong)lane << (8 * count++);
        }
        return table;
    }

    /// <summary>Writes <c>first + i</c> for every set bit i of <paramref name="bits"/>, in order; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe int AppendSetBits(uint bits, int first, int* list)
    {
        int count = 0;
        while (bits != 0)
        {
            list[count++] = first + System.Numerics.BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
        }
        return count;
    }

    /// <summary>
    /// Whether this machine runs kernels at <paramref name="level"/> on vector hardware (tests run every supported level).
    /// The wider levels use x86 masked loads and stores, so they need the x86 instruction sets behind them as well as an
    /// accelerated vector type.
    /// </summary>
    public static bool IsSupported(SimdLevel level) => level switch
    {
        SimdLevel.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        SimdLevel.Vector256 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        SimdLevel.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };
}
