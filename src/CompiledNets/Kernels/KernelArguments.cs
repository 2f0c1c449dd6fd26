using System;

namespace CompiledNets.Kernels;

/// <summary>The argument checks of the image kernels, which guard the unchecked pointer code behind them.</summary>
internal static class KernelArguments
{
    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="paramName"/> when a span holds fewer than <paramref name="needed"/> values.</summary>
    public static void Length(int actual, long needed, string paramName)
    {
        if (actual < needed)
            throw new ArgumentException($"Needs at least {needed} values but has {actual}.", paramName);
    }

    /// <summary>Throws unless <paramref name="value"/> is at least 1.</summary>
    public static void Positive(int value, string paramName)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(paramName, value, "Must be at least 1.");
    }

    /// <summary>Throws unless <paramref name="value"/> is 0 or more.</summary>
    public static void NotNegative(int value, string paramName)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(paramName, value, "Must not be negative.");
    }

    /// <summary>Throws unless the kernels know <paramref name="activation"/>.</summary>
    public static void CheckActivation(Activation activation, string paramName = "activation")
    {
        if (activation is not (Activation.None or Activation.ReLU or Activation.Tanh or Activation.Sigmoid or Activation.SELU))
            throw new ArgumentOutOfRangeException(paramName, activation, "Not an activation these kernels apply.");
    }
}
