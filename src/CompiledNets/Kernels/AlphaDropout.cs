using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Kernels;

/// <summary>
/// Alpha dropout's training forward (Klambauer et al. 2017). The mask is sampled by
/// <see cref="Dropout.SampleMask(Span{float}, float, float, ref CompiledNets.Randomness.SplitMix64)"/> with kept value
/// <c>a</c>, so it is <c>a</c> where a unit is kept and 0 where it is dropped; the backward pass is then the plain product
/// of the gradient with the mask.
/// </summary>
public static unsafe class AlphaDropout
{
    /// <summary>
    /// <c>output[i] = mask[i] · input[i] + shift</c> where <c>mask[i] &gt; 0</c> (a kept unit: <c>a·x + b</c>), and
    /// <paramref name="dropped"/> (<c>a·α′ + b</c>) where it is 0. <paramref name="output"/> may be <paramref name="input"/>.
    /// </summary>
    /// <param name="output">At least as long as <paramref name="input"/>.</param>
    /// <param name="input">The values.</param>
    /// <param name="mask">At least as long as <paramref name="input"/>: <c>a &gt; 0</c> or 0 per element.</param>
    /// <param name="shift">b.</param>
    /// <param name="dropped">A dropped unit's value, a·α′ + b.</param>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="input"/> (the exception names it).</exception>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> mask, float shift, float dropped)
        => Forward(Simd.Level, output, input, mask, shift, dropped);

    /// <summary><see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, float, float)"/> at a chosen vector level (for tests).</summary>
    internal static void Forward(SimdLevel level, Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> mask, float shift, float dropped)
    {
        KernelArguments.Length(output.Length, input.Length, nameof(output));
        KernelArguments.Length(mask.Length, input.Length, nameof(mask));
        int n = input.Length;
        fixed (float* y = output, x = input, m = mask)
        {
            int i = level switch
            {
                SimdLevel.Vector512 => Vectors<Vector512<float>, Simd512>(y, x, m, n, shift, dropped),
                SimdLevel.Vector256 => Vectors<Vector256<float>, Simd256>(y, x, m, n, shift, dropped),
                SimdLevel.Vector128 => Vectors<Vector128<float>, Simd128>(y, x, m, n, shift, dropped),
                _ => 0,
            };
            for (; i < n; i++)
                y[i] = m[i] > 0f ? MathF.FusedMultiplyAdd(m[i], x[i], shift) : dropped;
        }
    }

    /// <summary>Whole vectors; returns how many elements were written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Vectors<TV, TS>(float* y, float* x, float* m, int n, float shift, float dropped) where TV : unmanaged where TS : ISimd<TV>
    {
        // (mask·x + shift where kept, 0 elsewhere) + (dropped − (dropped where kept)): one term is exactly 0 in each lane.
        TV droppedV = TS.Broadcast(dropped), shiftV = TS.Broadcast(shift);
        int i = 0;
        for (; i <= n - TS.Width; i += TS.Width)
        {
            TV mv = TS.Load(m + i);
            TV kept = TS.WherePositive(mv, TS.MultiplyAdd(mv, TS.Load(x + i), shiftV));
            TS.Store(y + i, TS.Add(kept, TS.Subtract(droppedV, TS.WherePositive(mv, droppedV))));
        }
        return i;
    }
}
