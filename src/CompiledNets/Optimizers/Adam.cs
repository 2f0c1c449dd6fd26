using System;
using System.Numerics;

namespace CompiledNets;

/// <summary>
/// Adam (Kingma and Ba, 2015, Algorithm 1), with bias correction, in one vectorized pass over the flat parameters:
/// <c>m = β₁m + (1−β₁)g</c>, <c>v = β₂v + (1−β₂)g²</c>, <c>θ −= lr · m̂ / (sqrt(v̂) + ε)</c> with
/// <c>m̂ = m / (1−β₁ᵗ)</c>, <c>v̂ = v / (1−β₂ᵗ)</c>. The defaults are TensorFlow's <c>AdamOptimizer(0.001)</c>.
/// </summary>
/// <remarks>
/// An instance holds the moments of one parameter vector: use one optimizer per network. Its state is
/// allocated on the first <see cref="Step"/>, so later steps allocate nothing.
/// </remarks>
public sealed class Adam : IOptimizer
{
    private readonly float _learningRate, _beta1, _beta2, _epsilon;
    private float[]? _m, _v;
    private double _beta1Power = 1, _beta2Power = 1;

    /// <summary>Creates an Adam optimizer.</summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; positive and finite.</param>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        OptimizerChecks.Positive(learningRate, nameof(learningRate));
        OptimizerChecks.UnitInterval(beta1, nameof(beta1));
        OptimizerChecks.UnitInterval(beta2, nameof(beta2));
        OptimizerChecks.Positive(epsilon, nameof(epsilon));
        (_learningRate, _beta1, _beta2, _epsilon) = (learningRate, beta1, beta2, epsilon);
    }

    /// <summary>The number of steps taken so far (t in the formulas).</summary>
    public long StepCount { get; private set; }

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        OptimizerChecks.SameLength(parameters, gradients);
        _m ??= new float[parameters.Length];
        _v ??= new float[parameters.Length];
        OptimizerChecks.StateLength(_m.Length, parameters.Length);

        StepCount++;
        _beta1Power *= _beta1;
        _beta2Power *= _beta2;
        // Folding both corrections into the step keeps the loop to one division:
        // lr · m̂ / (sqrt(v̂) + ε) = (lr / c1) · m / (sqrt(v) / sqrt(c2) + ε).
        float stepSize = (float)(_learningRate / (1 - _beta1Power));
        float invSqrtC2 = (float)(1 / Math.Sqrt(1 - _beta2Power));
        float b1 = _beta1, b2 = _beta2, c1 = 1 - _beta1, c2 = 1 - _beta2, eps = _epsilon;

        Span<float> m = _m, v = _v;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            for (; i <= parameters.Length - width; i += width)
            {
                var g = new Vector<float>(gradients.Slice(i));
                var mv = new Vector<float>(m.Slice(i)) * b1 + g * c1;
                var vv = new Vector<float>(v.Slice(i)) * b2 + g * g * c2;
                var p = new Vector<float>(parameters.Slice(i)) - stepSize * mv / (Vector.SquareRoot(vv) * invSqrtC2 + new Vector<float>(eps));
                mv.CopyTo(m.Slice(i));
                vv.CopyTo(v.Slice(i));
                p.CopyTo(parameters.Slice(i));
            }
        }
        for (; i < parameters.Length; i++)
        {
            float g = gradients[i];
            m[i] = b1 * m[i] + c1 * g;
            v[i] = b2 * v[i] + c2 * g * g;
            parameters[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) * invSqrtC2 + eps);
        }
    }
}
