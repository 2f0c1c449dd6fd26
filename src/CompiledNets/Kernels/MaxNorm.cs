using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Kernels;

/// <summary>
/// The max-norm constraint (Srivastava et al. 2014, section 5.1; Keras' <c>MaxNorm(c, axis=0)</c>) on a dense layer's
/// [inputs, units] weight matrix: each unit's incoming weights, a column, rescaled so that its L2 norm is at most
/// <c>c</c> (<see cref="Apply(Span{float}, int, int, float)"/>); and on a convolution's [filters, channels, k, k]
/// kernel, each filter, a row (<see cref="ApplyRows(Span{float}, int, int, float)"/>). A generated <c>TrainStep</c> runs
/// it right after the optimizer step.
/// </summary>
/// <remarks>
/// <para>A column whose norm ‖w‖ exceeds <c>c</c> is multiplied by <c>c / (ε + ‖w‖)</c> with ε = 1e-7, Keras' factor
/// (<c>clip(‖w‖, 0, c) / (epsilon() + ‖w‖)</c>, <c>epsilon() = 1e-7</c>), so it ends at norm <c>c·‖w‖/(ε + ‖w‖)</c>, just
/// under <c>c</c>. A column within the bound is left exactly as it is: Keras multiplies it too, by
/// <c>‖w‖/(ε + ‖w‖)</c>, a shrink of about ε/‖w‖ (1e-7 relative for a norm of 1) at every step that is a by-product of
/// the ε, not part of the constraint; here it is skipped, so the constraint changes nothing until a column reaches it.</para>
/// <para>The squared norms are summed in float, a vector of columns at a time, over the rows (in blocks of columns that
/// stay in the L1 cache); a second pass over the rows rescales, and it is skipped for a block in which no column
/// exceeds the bound, so a matrix inside the bound costs one read. Nothing is allocated.</para>
/// </remarks>
public static unsafe class MaxNorm
{
    /// <summary>Keras' <c>backend.epsilon()</c>, added to the norm in the rescaling factor.</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>Columns per block: their squared norms (4 KB) stay in the L1 cache while the rows stream past.</summary>
    private const int Block = 1024;

    /// <summary>Rescales every column of <paramref name="weights"/> whose norm exceeds <paramref name="maxNorm"/> to norm <paramref name="maxNorm"/> (Keras' factor).</summary>
    /// <param name="weights">[rows, columns], row-major: a dense layer's [inputs, units] weights.</param>
    /// <param name="rows">Rows (the layer's inputs).</param>
    /// <param name="columns">Columns (the layer's units).</param>
    /// <param name="maxNorm">The bound <c>c</c>; positive and finite.</param>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is shorter than rows · columns.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or <paramref name="maxNorm"/> is not positive and finite.</exception>
    public static void Apply(Span<float> weights, int rows, int columns, float maxNorm) => Apply(Simd.Level, weights, rows, columns, maxNorm);

    /// <summary><see cref="Apply(Span{float}, int, int, float)"/> at a chosen vector level (for tests).</summary>
    internal static void Apply(SimdLevel level, Span<float> weights, int rows, int columns, float maxNorm)
    {
        CheckArguments(weights, rows, columns, maxNorm);
        float* scales = stackalloc float[Block];
        fixed (float* w = weights)
        {
            for (int first = 0; first < columns; first += Block)
            {
                int width = Math.Min(Block, columns - first);
                switch (level)
                {
                    case SimdLevel.Vector512: SquaredNorms<Vector512<float>, Simd512>(w + first, rows, columns, width, scales); break;
                    case SimdLevel.Vector256: SquaredNorms<Vector256<float>, Simd256>(w + first, rows, columns, width, scales); break;
                    case SimdLevel.Vector128: SquaredNorms<Vector128<float>, Simd128>(w + first, rows, columns, width, scales); break;
                    default: SquaredNormsScalar(w + first, rows, columns, width, scales); break;
                }
                if (!Scales(scales, width, maxNorm)) continue;
                switch (level)
                {
                    case SimdLevel.Vector512: Scale<Vector512<float>, Simd512>(w + first, rows, columns, width, scales); break;
                    case SimdLevel.Vector256: Scale<Vector256<float>, Simd256>(w + first, rows, columns, width, scales); break;
                    case SimdLevel.Vector128: Scale<Vector128<float>, Simd128>(w + first, rows, columns, width, scales); break;
                    default: ScaleScalar(w + first, rows, columns, width, scales); break;
                }
            }
        }
    }

    /// <summary>
    /// Rescales every row of <paramref name="weights"/> whose norm exceeds <paramref name="maxNorm"/> by Keras' factor
    /// <c>c / (ε + ‖w‖)</c>, leaving the others exactly as they are: a convolution's filters, each a row of
    /// [filters, channels · k · k].
    /// </summary>
    /// <param name="weights">[rows, length], row-major.</param>
    /// <param name="rows">Rows (the filters).</param>
    /// <param name="length">Values per row (channels · k · k).</param>
    /// <param name="maxNorm">The bound <c>c</c>; positive and finite.</param>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is shorter than rows · length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or <paramref name="maxNorm"/> is not positive and finite.</exception>
    public static void ApplyRows(Span<float> weights, int rows, int length, float maxNorm) => ApplyRows(Simd.Level, weights, rows, length, maxNorm);

    /// <summary><see cref="ApplyRows(Span{float}, int, int, float)"/> at a chosen vector level (for tests).</summary>
    internal static void ApplyRows(SimdLevel level, Span<float> weights, int rows, int length, float maxNorm)
    {
        CheckArguments(weights, rows, length, maxNorm);
        fixed (float* w = weights)
        {
            for (int r = 0; r < rows; r++)
            {
                float* row = w + (long)r * length;
                float sum = level switch
                {
                    SimdLevel.Vector512 => RowSquaredNorm<Vector512<float>, Simd512>(row, length),
                    SimdLevel.Vector256 => RowSquaredNorm<Vector256<float>, Simd256>(row, length),
                    SimdLevel.Vector128 => RowSquaredNorm<Vector128<float>, Simd128>(row, length),
                    _ => RowSquaredNormScalar(row, length),
                };
                float norm = MathF.Sqrt(sum);
                if (!(norm > maxNorm)) continue; // within the bound, or NaN: left as it is
                var values = new Span<float>(row, length);
                System.Numerics.Tensors.TensorPrimitives.Multiply(values, maxNorm / (Epsilon + norm), values);
            }
        }
    }

    private static void CheckArguments(Span<float> weights, int rows, int columns, float maxNorm)
    {
        KernelArguments.Positive(rows, nameof(rows));
        KernelArguments.Positive(columns, nameof(columns));
        KernelArguments.Length(weights.Length, (long)rows * columns, nameof(weights));
        if (!(maxNorm > 0) || float.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Must be positive and finite.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float RowSquaredNorm<TV, TS>(float* row, int length) where TV : unmanaged where TS : ISimd<TV>
    {
        TV sum = TS.Zero;
        int j = 0;
        for (; j <= length - TS.Width; j += TS.Width)
        {
            TV x = TS.Load(row + j);
            sum = TS.MultiplyAdd(x, x, sum);
        }
        if (j < length)
        {
            TV x = TS.LoadMasked(row + j, TS.FirstLanes(length - j));
            sum = TS.MultiplyAdd(x, x, sum);
        }
        return TS.Sum(sum);
    }

    private static float RowSquaredNormScalar(float* row, int length)
    {
        float sum = 0;
        for (int j = 0; j < length; j++) sum = MathF.FusedMultiplyAdd(row[j], row[j], sum);
        return sum;
    }

    /// <summary>Turns squared norms into factors (1 within the bound); whether any column needs rescaling.</summary>
    private static bool Scales(float* scales, int width, float maxNorm)
    {
        bool any = false;
        for (int j = 0; j < width; j++)
        {
            float norm = MathF.Sqrt(scales[j]);
            // NaN (a NaN weight) compares false: such a column is left as it is, not spread to NaN.
            if (norm > maxNorm)
            {
                scales[j] = maxNorm / (Epsilon + norm);
                any = true;
            }
            else
            {
                scales[j] = 1f;
            }
        }
        return any;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SquaredNorms<TV, TS>(float* w, int rows, int stride, int width, float* sums)
        where TV : unmanaged where TS : ISimd<TV>
    {
        int full = width - width % TS.Width;
        TV tail = TS.FirstLanes(width - full);
        for (int j = 0; j < width; j += TS.Width) TS.Store(sums + j, TS.Zero); // sums has room for a whole last vector
        for (int r = 0; r < rows; r++)
        {
            float* row = w + (long)r * stride;
            int j = 0;
            for (; j < full; j += TS.Width)
            {
                TV x = TS.Load(row + j);
                TS.Store(sums + j, TS.MultiplyAdd(x, x, TS.Load(sums + j)));
            }
            if (j < width)
            {
                TV x = TS.LoadMasked(row + j, tail);
                TS.Store(sums + j, TS.MultiplyAdd(x, x, TS.Load(sums + j)));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale<TV, TS>(float* w, int rows, int stride, int width, float* scales)
        where TV : unmanaged where TS : ISimd<TV>
    {
        int full = width - width % TS.Width;
        TV tail = TS.FirstLanes(width - full);
        for (int r = 0; r < rows; r++)
        {
            float* row = w + (long)r * stride;
            int j = 0;
            for (; j < full; j += TS.Width)
                TS.Store(row + j, TS.Multiply(TS.Load(row + j), TS.Load(scales + j)));
            if (j < width)
                TS.StoreMasked(row + j, TS.Multiply(TS.LoadMasked(row + j, tail), TS.Load(scales + j)), tail);
        }
    }

    private static void SquaredNormsScalar(float* w, int rows, int stride, int width, float* sums)
    {
        new Span<float>(sums, width).Clear();
        for (int r = 0; r < rows; r++)
        {
            float* row = w + (long)r * stride;
            for (int j = 0; j < width; j++) sums[j] = MathF.FusedMultiplyAdd(row[j], row[j], sums[j]);
        }
    }

    private static void ScaleScalar(float* w, int rows, int stride, int width, float* scales)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = w + (long)r * stride;
            for (int j = 0; j < width; j++) row[j] *= scales[j];
        }
    }
}
