using System;

namespace CompiledNets;

/// <summary>Argument checks shared by the optimizers, so a bad setting fails when the optimizer is created.</summary>
internal static class OptimizerChecks
{
    public static void Positive(float value, string paramName)
    {
        if (!(value > 0f) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive and finite.");
    }

    public static void NonNegative(float value, string paramName)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(paramName, value, "Must be zero or positive, and finite.");
    }

    public static void UnitInterval(float value, string paramName)
    {
        if (!(value >= 0f && value < 1f))
            throw new ArgumentOutOfRangeException(paramName, value, "Must be in [0, 1).");
    }

    public static void SameLength(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException(
                $"The gradients ({gradients.Length}) must have the length of the parameters ({parameters.Length}).", nameof(gradients));
    }

    public static void StateLength(int stateLength, int parameterCount)
    {
        if (stateLength != parameterCount)
            throw new ArgumentException(
                $"This optimizer holds state for {stateLength} parameters but was given {parameterCount}; use one optimizer per network.",
                "parameters");
    }
}
