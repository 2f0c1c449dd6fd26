using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace CompiledNets;

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019), exactly as PyTorch's <c>torch.optim.AdamW</c>: decoupled weight decay
/// <c>θ ← θ − lr·λ·θ</c>, then the <see cref="Adam"/> update with bias correction, <c>m = β₁m + (1−β₁)g</c>,
/// <c>v = β₂v + (1−β₂)g²</c>, <c>θ ← θ − (lr / (1−β₁ᵗ)) · m / (sqrt(v) / sqrt(1−β₂ᵗ) + ε)</c>. The decay is not
/// added to the gradient, so it does not pass through the moments (unlike L2 regularization in Adam). The defaults
/// are PyTorch's (<c>lr = 0.001</c>, <c>betas = (0.9, 0.999)</c>, <c>eps = 1e-8</c>, <c>weight_decay = 0.01</c>);
/// <c>amsgrad</c> and <c>maximize</c> are not offered.
/// </summary>
/// <remarks>
/// One vectorized pass over the flat parameters, the same as Adam's (the decay is one more multiply per parameter).
/// The decay applies to every parameter, biases included, as PyTorch's does when given <c>model.parameters()</c>.
/// An instance holds the moments of one parameter vector: use one optimizer per network. Its state is allocated on the
/// first <see cref="Step(Span{float}, ReadOnlySpan{float})"/>, so later steps allocate nothing; a checkpoint carries it,
/// and is restored only into an AdamW with the same settings (see <see cref="Description"/>).
/// </remarks>
public sealed class AdamW : IStatefulOptimizer, ISplitStepOptimizer
{
    private readonly AdamCore _core;
    private readonly float _weightDecay;

    /// <summary>Creates an AdamW optimizer.</summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; positive and finite.</param>
    /// <param name="weightDecay">The decoupled weight decay λ (each step multiplies θ by <c>1 − lr·λ</c>); zero or positive, finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range; the exception names it.</exception>
    public AdamW(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        _core = new AdamCore(learningRate, beta1, beta2, epsilon, weightDecay);
        _weightDecay = weightDecay;
    }

    /// <summary>The number of steps taken so far (t in the formulas).</summary>
    public long StepCount => _core.StepCount;

    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"AdamW({_core.Settings}, weightDecay: {_weightDecay:R})");

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
