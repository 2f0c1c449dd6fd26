using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace CompiledNets.Kernels;

/// <summary>
/// Activations applied in place, and their backward passes. Each backward takes the activation's
/// <b>output</b> <c>y</c> (every derivative is a cheap function of it) and turns the gradient with
/// respect to <c>y</c> into the gradient with respect to the pre-activation, in place.
/// </summary>
/// <remarks>
/// SELU's derivative is written once here, per element for vectors of every width (<see cref="SeluDerivative{TV, TS}"/>)
/// and for the scalar path (<see cref="SeluDerivative(float)"/>); the matrix product's epilogues call them. ReLU's, Tanh's
/// and Sigmoid's are still spelled out in those epilogues too (Gemm.cs), as they were before SELU.
/// </remarks>
public static class Activations
{
    /// <summary>SELU's scale λ (Klambauer et al. 2017; PyTorch's value).</summary>
    public const float SeluLambda = 1.0507009873554805f;

    /// <summary>SELU's α (Klambauer et al. 2017; PyTorch's value).</summary>
    public const float SeluAlpha = 1.6732632423543772f;

    /// <summary>λ·α: −λα is SELU's limit at −∞, the value AlphaDropout gives a dropped unit.</summary>
    public const float SeluLambdaAlpha = (float)(1.0507009873554805 * 1.6732632423543772);

    /// <summary>Chunk of the SELU forward's stack scratch.</summary>
    private const int SeluChunk = 256;

    /// <summary><c>x = λ·x</c> for <c>x &gt; 0</c>, <c>λα·(eˣ − 1)</c> otherwise (scaled exponential linear unit).</summary>
    public static void SELU(Span<float> x)
    {
        Span<float> scratch = stackalloc float[SeluChunk];
        for (int start = 0; start < x.Length; start += SeluChunk)
        {
            Span<float> part = x.Slice(start, Math.Min(SeluChunk, x.Length - start));
            Span<float> negative = scratch.Slice(0, part.Length);
            TensorPrimitives.Min(part, 0f, negative);
            TensorPrimitives.Exp(negative, negative);
            TensorPrimitives.Add(negative, -1f, negative);
            TensorPrimitives.Multiply(negative, SeluLambdaAlpha, negative);
            TensorPrimitives.Max(part, 0f, part);
            TensorPrimitives.Multiply(part, SeluLambda, part);
            TensorPrimitives.Add(part, negative, part);
        }
    }

    /// <summary>SELU's derivative from its output: λ where <c>y &gt; 0</c>, <c>y + λα</c> (= λα·eˣ) elsewhere.</summary>
    public static float SeluDerivative(float y) => y > 0f ? SeluLambda : y + SeluLambdaAlpha;

    /// <summary><see cref="SeluDerivative(float)"/> on every lane of a vector of any width.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static TV SeluDerivative<TV, TS>(TV y) where TV : unmanaged where TS : ISimd<TV>
    {
        TV below = TS.Add(y, TS.Broadcast(SeluLambdaAlpha));
        // λ where y > 0, plus (y + λα) where it is not.
        return TS.Add(TS.WherePositive(y, TS.Broadcast(SeluLambda)), TS.Subtract(below, TS.WherePositive(y, below)));
    }

    /// <summary><c>d = d · SELU'(y)</c>: λ where <c>y &gt; 0</c>, <c>y + λα</c> elsewhere.</summary>
    public static unsafe void SELUBackward(Span<float> d, ReadOnlySpan<float> y)
    {
        CheckSameLength(d, y);
        fixed (float* pd = d, py = y)
        {
            int i = Simd.Level switch
            {
                SimdLevel.Vector512 => SeluBackward<System.Runtime.Intrinsics.Vector512<float>, Simd512>(pd, py, d.Length),
                SimdLevel.Vector256 => SeluBackward<System.Runtime.Intrinsics.Vector256<float>, Simd256>(pd, py, d.Length),
                SimdLevel.Vector128 => SeluBackward<System.Runtime.Intrinsics.Vector128<float>, Simd128>(pd, py, d.Length),
                _ => 0,
            };
            for (; i < d.Length; i++)
                pd[i] *= SeluDerivative(py[i]);
        }
    }

    /// <summary>Whole vectors of <see cref="SELUBackward"/>; returns how many elements it did.</summary>
    private static unsafe int SeluBackward<TV, TS>(float* d, float* y, int length) where TV : unmanaged where TS : ISimd<TV>
    {
        int i = 0;
        for (; i <= length - TS.Width; i += TS.Width)
            TS.Store(d + i, TS.Multiply(TS.Load(d + i), SeluDerivative<TV, TS>(TS.Load(y + i))));
        return i;
    }

    /// <summary><c>x = max(0, x)</c>.</summary>
    public static void ReLU(Span<float> x) => TensorPrimitives.Max(x, 0f, x);

    /// <summary><c>x = tanh(x)</c>.</summary>
    public static void Tanh(Span<float> x) => TensorPrimitives.Tanh(x, x);

    /// <summary><c>x = 1 / (1 + e^-x)</c>.</summary>
    public static void Sigmoid(Span<float> x) => TensorPrimitives.Sigmoid(x, x);

    /// <summary><c>d = d · [y &gt; 0]</c>.</summary>
    public static void ReLUBackward(Span<float> d, ReadOnlySpan<float> y)
    {
        CheckSameLength(d, y);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var yv = new Vector<float>(y.Slice(i));
                var dv = new Vector<float>(d.Slice(i));
                Vector.ConditionalSelect(Vector.GreaterThan(yv, Vector<float>.Zero), dv, Vector<float>.Zero).CopyTo(d.Slice(i));
            }
        }
        for (; i < d.Length; i++)
            d[i] = y[i] > 0f ? d[i] : 0f;
    }

    /// <summary><c>d = d · (1 − y²)</c>.</summary>
    public static void TanhBackward(Span<float> d, ReadOnlySpan<float> y)
    {
        CheckSameLength(d, y);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var yv = new Vector<float>(y.Slice(i));
                (new Vector<float>(d.Slice(i)) * (Vector<float>.One - yv * yv)).CopyTo(d.Slice(i));
            }
        }
        for (; i < d.Length; i++)
            d[i] *= 1f - y[i] * y[i];
    }

    /// <summary><c>d = d · y · (1 − y)</c>.</summary>
    public static void SigmoidBackward(Span<float> d, ReadOnlySpan<float> y)
    {
        CheckSameLength(d, y);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var yv = new Vector<float>(y.Slice(i));
                (new Vector<float>(d.Slice(i)) * yv * (Vector<float>.One - yv)).CopyTo(d.Slice(i));
            }
        }
        for (; i < d.Length; i++)
            d[i] *= y[i] * (1f - y[i]);
    }

    private static void CheckSameLength(Span<float> d, ReadOnlySpan<float> y)
    {
        if (d.Length != y.Length)
            throw new ArgumentException($"The gradient ({d.Length}) and the activations ({y.Length}) differ in length.", nameof(y));
    }
}
