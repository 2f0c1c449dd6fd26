using System.IO;
using System.Globalization;
using System;
using System.Numerics.Tensors;

namespace CompiledNets;

/// <summary>
/// Stochastic gradient descent with optional momentum, in PyTorch's form: <c>v = μv + g</c>, <c>θ −= lr · v</c>
/// (plain <c>θ −= lr · g</c> when <c>μ = 0</c>).
/// </summary>
/// <remarks>An instance holds the velocity of one parameter vector: use one optimizer per network.</remarks>
public sealed class Sgd : IStatefulOptimizer
{
    private readonly float _learningRate, _momentum;
    private float[]? _velocity;

    /// <summary>Creates an SGD optimizer.</summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="momentum">Momentum μ in [0, 1); 0 disables it.</param>
    public Sgd(float learningRate, float momentum = 0f)
    {
        OptimizerChecks.Positive(learningRate, nameof(learningRate));
        OptimizerChecks.UnitInterval(momentum, nameof(momentum));
        (_learningRate, _momentum) = (learningRate, momentum);
    }

    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"Sgd(learningRate: {_learningRate:R}, momentum: {_momentum:R})");

    /// <inheritdoc/>
    public void WriteState(BinaryWriter writer) => OptimizerStateIO.WriteVector(writer, _velocity);

    /// <inheritdoc/>
    public void ReadState(BinaryReader reader, int parameterCount) => _velocity = OptimizerStateIO.ReadVector(reader, parameterCount);

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        OptimizerChecks.SameLength(parameters, gradients);
        if (_momentum == 0f)
        {
            TensorPrimitives.MultiplyAdd(gradients, -_learningRate, parameters, parameters);
            return;
        }
        _velocity ??= new float[parameters.Length];
        OptimizerChecks.StateLength(_velocity.Length, parameters.Length);
        TensorPrimitives.MultiplyAdd(_velocity, _momentum, gradients, _velocity);
        TensorPrimitives.MultiplyAdd(_velocity, -_learningRate, parameters, parameters);
    }
}
