using System;
using System.Collections.Generic;
using System.IO;

namespace CompiledNets;

/// <summary>
/// Adam (Kingma and Ba, 2015, Algorithm 1), with bias correction, in one vectorized pass over the flat parameters:
/// <c>m = β₁m + (1−β₁)g</c>, <c>v = β₂v + (1−β₂)g²</c>, <c>θ −= lr · m̂ / (sqrt(v̂) + ε)</c> with
/// <c>m̂ = m / (1−β₁ᵗ)</c>, <c>v̂ = v / (1−β₂ᵗ)</c>. The defaults are TensorFlow's <c>AdamOptimizer(0.001)</c>.
/// For decoupled weight decay see <see cref="AdamW"/>.
/// </summary>
/// <remarks>
/// An instance holds the moments of one parameter vector: use one optimizer per network. Its state is
/// allocated on the first <see cref="Step(Span{float}, ReadOnlySpan{float})"/>, so later steps allocate nothing.
/// </remarks>
public sealed class Adam : IStatefulOptimizer, ISplitStepOptimizer
{
    private readonly AdamCore _core;

    /// <summary>Creates an Adam optimizer.</summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; positive and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range; the exception names it.</exception>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
        => _core = new AdamCore(learningRate, beta1, beta2, epsilon, weightDecay: 0f);

    /// <summary>The number of steps taken so far (t in the formulas).</summary>
    public long StepCount => _core.StepCount;

    /// <inheritdoc/>
    public string Description => $"Adam({_core.Settings})";

    /// <inheritdoc/>
    public void WriteState(BinaryWriter writer) => _core.WriteState(writer);

    /// <inheritdoc/>
    public void ReadState(BinaryReader reader, int parameterCount) => _core.ReadState(reader, parameterCount);

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => _core.Step(parameters, gradients, threads: 1, tensors: null);

    /// <inheritdoc/>
    void ISplitStepOptimizer.Step(Span<float> parameters, ReadOnlySpan<float> gradients, int threads, IReadOnlyList<ParameterTensor>? tensors)
        => _core.Step(parameters, gradients, threads, tensors);
}
