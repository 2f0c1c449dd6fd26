using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace CompiledNets.Kernels;

/// <summary>
/// Activations applied in place, and their backward passes. Each backward takes the activation's
/// <b>output</b> <c>y</c> (all three derivatives are cheap functions of it) and turns the gradient with
/// respect to <c>y</c> into the gradient with respect to the pre-activation, in place.
/// </summary>
public static class Activations
{
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
