using System;

namespace CompiledNets;

/// <summary>
/// A training step met a loss that is NaN or infinite (diverging training, or NaN/infinite inputs). It is thrown
/// before the backward pass and the optimizer step, so the parameters are still the last good ones.
/// </summary>
public sealed class NonFiniteLossException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(string message, float loss, Exception? inner = null) : base(message, inner) => Loss = loss;

    /// <summary>The offending loss value.</summary>
    public float Loss { get; }
}
