using System;

namespace CompiledNets.Kernels;

/// <summary>
/// Argument checks shared by every generated network, so that each public entry point validates
/// everything before it changes any state, and names the argument at fault.
/// </summary>
public static class Checks
{
    /// <summary>Throws unless <c>1 &lt;= batchSize &lt;= maxBatchSize</c>.</summary>
    public static void BatchSize(int batchSize, int maxBatchSize, string paramName = "batchSize")
    {
        if (batchSize < 1 || batchSize > maxBatchSize)
            throw new ArgumentOutOfRangeException(paramName, batchSize,
                $"The batch size must be between 1 and the network's maxBatchSize ({maxBatchSize}).");
    }

    /// <summary>Throws unless a span holds exactly <paramref name="expected"/> values.</summary>
    public static void Length(int actual, int expected, string paramName, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected {expected} values ({what}) but got {actual}.", paramName);
    }

    /// <summary>
    /// Works out the batch size of an input span (a whole number of examples of <paramref name="inputSize"/>
    /// values, at most <paramref name="maxBatchSize"/> of them).
    /// </summary>
    public static int BatchOf(int inputLength, int inputSize, int maxBatchSize, string paramName)
    {
        if (inputLength == 0 || inputLength % inputSize != 0)
            throw new ArgumentException(
                $"Expected a whole, positive number of examples of {inputSize} values but got {inputLength} values.", paramName);
        int batchSize = inputLength / inputSize;
        if (batchSize > maxBatchSize)
            throw new ArgumentException(
                $"{batchSize} examples exceed the network's maxBatchSize ({maxBatchSize}).", paramName);
        return batchSize;
    }

    /// <summary>Throws unless every label is a class index in <c>[0, classes)</c>.</summary>
    public static void Labels(ReadOnlySpan<int> labels, int classes, string paramName = "labels")
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException(
                    $"Label {labels[i]} at index {i} is not a class index in [0, {classes}).", paramName);
        }
    }

    /// <summary>Throws when no forward pass has run yet (so there is nothing to take a loss or gradient of).</summary>
    public static void ForwardDone(int batchSize)
    {
        if (batchSize == 0)
            throw new InvalidOperationException("Call Forward (or TrainStep) before Loss or Backward.");
    }

    /// <summary>Throws unless <paramref name="maxBatchSize"/> is positive and every buffer of the network fits in an array.</summary>
    public static void MaxBatchSize(int maxBatchSize, int widestLayer)
    {
        if (maxBatchSize < 1 || (long)maxBatchSize * widestLayer > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize,
                $"Must be at least 1 and small enough that maxBatchSize × {widestLayer} values fit in one array.");
    }

    /// <summary>Throws <see cref="NonFiniteLossException"/> when a training step's loss is NaN or infinite, before anything changes.</summary>
    public static void FiniteLoss(float loss)
    {
        if (!float.IsFinite(loss))
            throw new NonFiniteLossException(
                $"The training loss is {loss}; the step was stopped before the backward pass, so the parameters are unchanged.", loss);
    }

    /// <summary>Throws unless <paramref name="samples"/> is at least 1.</summary>
    public static void Samples(int samples)
    {
        if (samples < 1)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one Monte Carlo sample is needed.");
    }

    /// <summary>Throws when <paramref name="optimizer"/> is null.</summary>
    public static void Optimizer(IOptimizer optimizer) => ArgumentNullException.ThrowIfNull(optimizer);

    /// <summary>
    /// Whether every value is finite (no NaN, no infinity). A generated network asks this of its parameters once after
    /// they may have changed, and the products skip the terms of zero inputs only when it holds: 0 · ∞ and 0 · NaN are
    /// NaN, so skipping them would hide a non-finite weight.
    /// </summary>
    public static bool AllFinite(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(values);
}
