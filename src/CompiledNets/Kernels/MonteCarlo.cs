using System;

namespace CompiledNets.Kernels;

/// <summary>Running mean and spread over Monte Carlo samples (Welford's update, stable in float).</summary>
public static class MonteCarlo
{
    /// <summary>
    /// Adds sample number <paramref name="count"/> (1-based) to the running <paramref name="mean"/> and sum of
    /// squared deviations <paramref name="squares"/>.
    /// </summary>
    public static void Accumulate(Span<float> mean, Span<float> squares, ReadOnlySpan<float> sample, int count)
    {
        if (mean.Length != sample.Length || squares.Length != sample.Length)
            throw new ArgumentException("The mean, squares and sample must have the same length.", nameof(sample));
        float inverse = 1f / count;
        for (int i = 0; i < sample.Length; i++)
        {
            float delta = sample[i] - mean[i];
            mean[i] += delta * inverse;
            squares[i] += delta * (sample[i] - mean[i]);
        }
    }

    /// <summary>Turns the sum of squared deviations of <paramref name="count"/> samples into their standard deviation, in place.</summary>
    public static void FinishStandardDeviation(Span<float> squares, int count)
    {
        float inverse = 1f / count;
        for (int i = 0; i < squares.Length; i++)
            squares[i] = MathF.Sqrt(Math.Max(0f, squares[i] * inverse));
    }
}
