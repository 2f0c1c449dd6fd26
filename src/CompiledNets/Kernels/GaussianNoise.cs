using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>
/// Normal samples from the counter-based mask stream, for the Gaussian members of the dropout family: Gaussian dropout's
/// multiplicative noise ε ~ N(1, rate / (1 − rate)) and Gaussian noise's additive N(0, σ²).
/// </summary>
/// <remarks>
/// <para>The Box–Muller transform on the stream's uniforms (<see cref="Uniforms"/>: two per 64-bit output). Elements are
/// taken in blocks of 32: element <c>i &lt; 16</c> of a block and element <c>i + 16</c> form a pair (u₁, u₂) and become
/// <c>r·cos θ</c> and <c>r·sin θ</c> with <c>r = sqrt(−2 ln u₁)</c> and <c>θ = 2π·u₂ − π/4</c> (a fixed rotation of the
/// uniform angle, which leaves the pair two independent standard normals and lets the sine and cosine polynomials work on
/// [−π/4, π/4]). A last block of t &lt; 32 elements pairs element i with element <c>i + ⌈t/2⌉</c>; when t is odd, the
/// last cosine's u₂ is the unused half of the stream's last output, whose sine is not kept. The pairing does not depend on the vector width.</para>
/// <para>The vector levels evaluate the logarithm (Cephes' <c>logf</c> polynomial) and the sine and cosine (Cephes'
/// <c>sinf</c>/<c>cosf</c> polynomials) in registers in one pass over the uniforms, within a few units in the last
/// place of the exact transform; the scalar level uses <see cref="MathF"/>. Levels may differ in the last bits.</para>
/// </remarks>
public static unsafe class GaussianNoise
{
    /// <summary>Elements per block: 16 pairs, one 16-float vector of first and one of second uniforms at AVX-512.</summary>
    private const int Block = 32;

    private const int Half = Block / 2;

    /// <summary>
    /// Fills <paramref name="destination"/> with independent samples of N(<paramref name="mean"/>, <paramref name="stdDev"/>²);
    /// the stream advances by one output per two elements, rounded up.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is negative or not finite, or <paramref name="mean"/> is not finite.</exception>
    public static void Sample(Span<float> destination, float mean, float stdDev, ref SplitMix64 rng)
        => Sample(Simd.Level, destination, mean, stdDev, ref rng);

    /// <summary><see cref="Sample(Span{float}, float, float, ref SplitMix64)"/> at a chosen vector level (for tests).</summary>
    internal static void Sample(SimdLevel level, Span<float> destination, float mean, float stdDev, ref SplitMix64 rng)
    {
        if (!(stdDev >= 0f && float.IsFinite(stdDev)))
            throw new ArgumentOutOfRangeException(nameof(stdDev), stdDev, "Must be finite and not negative.");
        if (!float.IsFinite(mean))
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "Must be finite.");
        int whole = destination.Length - destination.Length % Block;
        Uniforms.Sample(level, destination.Slice(0, whole), ref rng);
        fixed (float* p = destination)
            Transform(level, p, whole, mean, stdDev);
        int tail = destination.Length - whole;
        if (tail == 0) return;
        // The last, partial block: 2·⌈t/2⌉ uniforms (an odd t uses the spare half of the stream's last output), the
        // first half of them the u₁ of a whole block, the rest its u₂, the unused lanes a harmless 0.5.
        int first = (tail + 1) / 2;
        Span<float> drawn = stackalloc float[Block];
        Uniforms.Sample(level, drawn.Slice(0, 2 * first), ref rng);
        Span<float> block = stackalloc float[Block];
        block.Fill(0.5f);
        drawn.Slice(0, first).CopyTo(block);
        drawn.Slice(first, first).CopyTo(block.Slice(Half));
        fixed (float* b = block)
            Transform(level, b, Block, mean, stdDev);
        Span<float> rest = destination.Slice(whole);
        block.Slice(0, first).CopyTo(rest);
        block.Slice(Half, tail - first).CopyTo(rest.Slice(first));
    }

    /// <summary>Turns the uniforms of <paramref name="length"/> (a multiple of 32) elements into the normal samples, in place.</summary>
    private static void Transform(SimdLevel level, float* p, int length, float mean, float stdDev)
    {
        switch (level)
        {
            case SimdLevel.Vector512: Blocks<Vector512<float>, Simd512>(p, length, mean, stdDev); break;
            case SimdLevel.Vector256: Blocks<Vector256<float>, Simd256>(p, length, mean, stdDev); break;
            case SimdLevel.Vector128: Blocks<Vector128<float>, Simd128>(p, length, mean, stdDev); break;
            default: ScalarBlocks(p, length, mean, stdDev); break;
        }
    }

    private static void ScalarBlocks(float* p, int length, float mean, float stdDev)
    {
        for (int block = 0; block < length; block += Block)
            for (int i = block; i < block + Half; i++)
            {
                float r = MathF.Sqrt(MathF.Max(-2f * MathF.Log(p[i]), 0f));
                (float sin, float cos) = MathF.SinCos(2f * MathF.PI * p[i + Half] - MathF.PI / 4f);
                p[i] = mean + stdDev * (r * cos);
                p[i + Half] = mean + stdDev * (r * sin);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks<TV, TS>(float* p, int length, float mean, float stdDev) where TV : unmanaged where TS : ISimd<TV>
    {
        TV meanV = TS.Broadcast(mean), stdDevV = TS.Broadcast(stdDev), minusTwo = TS.Broadcast(-2f);
        for (int block = 0; block < length; block += Block)
            for (int i = block; i < block + Half; i += TS.Width)
            {
                // max(·, 0): near u₁ = 1 the polynomial may round ln u₁ to a tiny positive value.
                TV r = TS.Sqrt(TS.Max(TS.Multiply(Log<TV, TS>(TS.Load(p + i)), minusTwo), TS.Zero));
                TV cos = CosSin<TV, TS>(TS.Load(p + i + Half), out TV sin);
                TS.Store(p + i, TS.MultiplyAdd(TS.Multiply(r, cos), stdDevV, meanV));
                TS.Store(p + i + Half, TS.MultiplyAdd(TS.Multiply(r, sin), stdDevV, meanV));
            }
    }

    /// <summary>
    /// ln x for x in (0, 1], normal: x = m·2ᵉ with m in [√½, √2), then Cephes' <c>logf</c> polynomial in m − 1 (its
    /// coefficients; ln 2 split in two so that e·ln 2 adds without rounding error).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Log<TV, TS>(TV x) where TV : unmanaged where TS : ISimd<TV>
    {
        TV one = TS.Broadcast(1f);
        TV e = TS.Exponent(x);
        TV m = TS.Or(TS.AndNot(x, TS.Broadcast(float.PositiveInfinity)), one); // the exponent bits replaced by 1's: [1, 2)
        TV above = TS.WherePositive(TS.Subtract(m, TS.Broadcast(1.41421356f)), one); // 1 where m > √2
        m = TS.Multiply(m, TS.MultiplyAdd(above, TS.Broadcast(-0.5f), one)); // halved there (exact)
        e = TS.Add(e, above);
        TV f = TS.Subtract(m, one); // exact: m is within a factor 2 of 1
        TV z = TS.Multiply(f, f);
        TV y = TS.Broadcast(7.0376836292E-2f);
        y = TS.MultiplyAdd(y, f, TS.Broadcast(-1.1514610310E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(1.1676998740E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(-1.2420140846E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(1.4249322787E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(-1.6668057665E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(2.0000714765E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(-2.4999993993E-1f));
        y = TS.MultiplyAdd(y, f, TS.Broadcast(3.3333331174E-1f));
        y = TS.Multiply(TS.Multiply(y, f), z);
        y = TS.MultiplyAdd(e, TS.Broadcast(-2.12194440E-4f), y);
        y = TS.MultiplyAdd(z, TS.Broadcast(-0.5f), y);
        return TS.MultiplyAdd(e, TS.Broadcast(0.693359375f), TS.Add(f, y));
    }

    /// <summary>
    /// cos θ and sin θ for θ = 2π·u − π/4, u in (0, 1): θ = q·π/2 + φ with the quadrant q = ⌊4u⌋ and φ in [−π/4, π/4]
    /// (both exact from u's 23 bits), Cephes' <c>sinf</c>/<c>cosf</c> polynomials for φ, and the quadrant's rotation
    /// (cos(q·π/2), −sin(q·π/2)) = (|q − 2| − 1, |q − 1| − 1) applied without a branch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV CosSin<TV, TS>(TV u, out TV sin) where TV : unmanaged where TS : ISimd<TV>
    {
        TV one = TS.Broadcast(1f), signBit = TS.Broadcast(-0f), round = TS.Broadcast(12582912f); // 1.5·2²³: adding it rounds to an integer
        TV t = TS.MultiplyAdd(u, TS.Broadcast(4f), TS.Broadcast(-0.5f)); // exact; never an integer + ½ for these u
        TV q = TS.Subtract(TS.Add(t, round), round);
        TV x = TS.Multiply(TS.Subtract(t, q), TS.Broadcast(MathF.PI / 2f));
        TV z = TS.Multiply(x, x);
        TV s = TS.MultiplyAdd(TS.Broadcast(-1.9515295891E-4f), z, TS.Broadcast(8.3321608736E-3f));
        s = TS.MultiplyAdd(s, z, TS.Broadcast(-1.6666654611E-1f));
        s = TS.MultiplyAdd(TS.Multiply(s, z), x, x);
        TV c = TS.MultiplyAdd(TS.Broadcast(2.443315711809948E-5f), z, TS.Broadcast(-1.388731625493765E-3f));
        c = TS.MultiplyAdd(c, z, TS.Broadcast(4.166664568298827E-2f));
        c = TS.MultiplyAdd(TS.Multiply(c, z), z, TS.MultiplyAdd(z, TS.Broadcast(-0.5f), one));
        TV a = TS.Subtract(TS.AndNot(TS.Subtract(q, TS.Broadcast(2f)), signBit), one);
        TV b = TS.Subtract(TS.AndNot(TS.Subtract(q, one), signBit), one);
        sin = TS.Subtract(TS.Multiply(a, s), TS.Multiply(b, c));
        return TS.MultiplyAdd(a, c, TS.Multiply(b, s));
    }
}
