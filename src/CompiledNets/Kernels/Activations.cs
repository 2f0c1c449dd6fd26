using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// Activations applied in place, and their backward passes. Each backward takes the activation's
/// <b>output</b> <c>y</c> (every derivative is a cheap function of it) and turns the gradient with
/// respect to <c>y</c> into the gradient with respect to the pre-activation, in place.
/// </summary>
/// <remarks>
/// Every activation's math lives in this file, in the forms the kernels need: spans (the public methods and
/// <see cref="Apply"/>), scalars (<see cref="Backward"/>, <see cref="SeluDerivative(float)"/>) and vectors of every width
/// (<see cref="ActivationMath{TV, TS}"/>, which the matrix product's epilogues call).
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
    /// <remarks>
    /// <c>eᵗ − 1</c> (t = min(x, 0)) is not taken as <c>exp(t) − 1</c> near 0: the vector <c>exp</c> is an ulp or two off
    /// near 1 (<c>TensorPrimitives.Exp(0)</c> is 1 + 2⁻²³, and its <c>ExpM1</c> is the same subtraction), which made every
    /// positive output ~2·10⁻⁷ too large and tiny negative ones 0. For |t| &lt; 1/8 it is the series to t⁵/120 (its
    /// remainder is below float rounding there), so x ≥ 0 gives λ·x rounded once and small negative inputs keep their
    /// digits; beyond, <c>exp(t) − 1</c> is within a few ulps of its value.
    /// </remarks>
    public static void SELU(Span<float> x)
    {
        Span<float> scratch = stackalloc float[2 * SeluChunk];
        for (int start = 0; start < x.Length; start += SeluChunk)
        {
            Span<float> part = x.Slice(start, Math.Min(SeluChunk, x.Length - start));
            Span<float> negative = scratch.Slice(0, part.Length), exp = scratch.Slice(SeluChunk, part.Length);
            TensorPrimitives.Min(part, 0f, negative);
            TensorPrimitives.Exp(negative, exp);
            ScaledExpMinusOne(negative, exp);
            TensorPrimitives.Max(part, 0f, part);
            TensorPrimitives.Multiply(part, SeluLambda, part);
            TensorPrimitives.Add(part, negative, part);
        }
    }

    /// <summary><c>t = λα·(eᵗ − 1)</c> given <c>exp = eᵗ</c> (t ≤ 0 or NaN): the series where |t| &lt; 1/8, <c>exp − 1</c> elsewhere.</summary>
    private static void ScaledExpMinusOne(Span<float> t, ReadOnlySpan<float> exp)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<float>.Count <= t.Length; i += Vector<float>.Count)
            {
                var v = new Vector<float>(t.Slice(i));
                Vector<float> series = v * (Vector<float>.One + v * (new Vector<float>(1f / 2) + v * (new Vector<float>(1f / 6) + v * (new Vector<float>(1f / 24) + v * new Vector<float>(1f / 120)))));
                Vector<float> minusOne = new Vector<float>(exp.Slice(i)) - Vector<float>.One;
                (Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(v), new Vector<float>(0.125f)), series, minusOne) * new Vector<float>(SeluLambdaAlpha)).CopyTo(t.Slice(i));
            }
        }
        for (; i < t.Length; i++)
        {
            float v = t[i];
            float series = v * (1f + v * (1f / 2 + v * (1f / 6 + v * (1f / 24 + v * (1f / 120)))));
            t[i] = (MathF.Abs(v) < 0.125f ? series : exp[i] - 1f) * SeluLambdaAlpha;
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

    /// <summary>
    /// <paramref name="activation"/> applied in place to pre-activations that already hold their bias: the one place the
    /// kernels (GEMM epilogues that finish row by row, the scalar path, convolutions) take the forward functions from.
    /// </summary>
    internal static void Apply(Activation activation, Span<float> x)
    {
        switch (activation)
        {
            case Activation.None: break;
            case Activation.ReLU: ReLU(x); break;
            case Activation.Tanh: Tanh(x); break;
            case Activation.Sigmoid: Sigmoid(x); break;
            case Activation.SELU: SELU(x); break;
            default: throw Unknown(activation);
        }
    }

    /// <summary>
    /// The gradient <paramref name="g"/> with respect to an activation's output <paramref name="y"/> as the gradient with
    /// respect to its input (the scalar form of <see cref="ActivationMath{TV, TS}.ReLUBackward"/> and its siblings).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Backward(Activation activation, float g, float y) => activation switch
    {
        Activation.None => g,
        Activation.ReLU => y > 0f ? g : 0f,
        Activation.Tanh => g * (1f - y * y),
        Activation.Sigmoid => g * y * (1f - y),
        Activation.SELU => g * SeluDerivative(y),
        _ => ThrowUnknown<float>(activation),
    };

    /// <summary>
    /// Whether <paramref name="activation"/> is cheap enough to apply in a product's register epilogue (None, ReLU);
    /// the others are applied to whole rows with <see cref="Apply"/> once the product is done.
    /// </summary>
    internal static bool InRegisters(Activation activation) => activation is Activation.None or Activation.ReLU;

    /// <summary>Whether the functions here (and so every kernel) know <paramref name="activation"/>.</summary>
    internal static bool IsKnown(Activation activation) =>
        activation is Activation.None or Activation.ReLU or Activation.Tanh or Activation.Sigmoid or Activation.SELU;

    internal static InvalidOperationException Unknown(Activation activation) =>
        new($"The kernels have no activation {activation}.");

    /// <summary>Throws <see cref="Unknown"/>: a call, not a throw, so that the vector functions stay small enough to inline.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static T ThrowUnknown<T>(Activation activation) => throw Unknown(activation);

    private static void CheckSameLength(Span<float> d, ReadOnlySpan<float> y)
    {
        if (d.Length != y.Length)
            throw new ArgumentException($"The gradient ({d.Length}) and the activations ({y.Length}) differ in length.", nameof(y));
    }
}

/// <summary>
/// The activations' math on vectors of every width, for kernels that finish their outputs in registers (the GEMM
/// epilogues): the same functions as <see cref="Activations"/>, so each derivative is written once per form (span,
/// scalar, vector) in this file.
/// </summary>
internal static class ActivationMath<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    /// <summary><paramref name="z"/> through an activation that <see cref="Activations.InRegisters"/> allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Forward(Activation activation, TV z) => activation switch
    {
        Activation.None => z,
        Activation.ReLU => TS.Max(z, TS.Zero),
        _ => Activations.ThrowUnknown<TV>(activation),
    };

    /// <summary>The vector form of <see cref="Activations.Backward"/> for ReLU: <paramref name="y"/> is its output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ReLUBackward(TV g, TV y) => TS.WherePositive(y, g);

    /// <summary>The vector form of <see cref="Activations.Backward"/> for tanh: <c>g · (1 − y²)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV TanhBackward(TV g, TV y) => TS.Multiply(g, TS.Subtract(TS.Broadcast(1f), TS.Multiply(y, y)));

    /// <summary>The vector form of <see cref="Activations.Backward"/> for the sigmoid: <c>g · y · (1 − y)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV SigmoidBackward(TV g, TV y) => TS.Multiply(TS.Multiply(g, y), TS.Subtract(TS.Broadcast(1f), y));

    /// <summary>The vector form of <see cref="Activations.Backward"/> for SELU: <c>g · SELU′(y)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV SELUBackward(TV g, TV y) => TS.Multiply(g, Activations.SeluDerivative<TV, TS>(y));
}
