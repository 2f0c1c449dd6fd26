using System;

namespace CompiledNets;

/// <summary>
/// Examples with real-valued targets held in memory, for a <see cref="LossFunction.MeanSquaredError"/> network:
/// <see cref="Count"/> rows of <see cref="Features"/> input floats, each with a row of <see cref="Outputs"/> target floats.
/// </summary>
public sealed class RegressionDataset
{
    /// <summary>Wraps existing arrays (not copied).</summary>
    /// <param name="inputs">Count × <paramref name="features"/> values, row-major.</param>
    /// <param name="targets">Count × <paramref name="outputs"/> values, row-major: what the network should output for each example.</param>
    /// <param name="features">Values per example (the network's <see cref="ICompiledNetwork.InputSize"/>).</param>
    /// <param name="outputs">Target values per example (the network's <see cref="ICompiledNetwork.OutputSize"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or <paramref name="targets"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="features"/> or <paramref name="outputs"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The lengths of the arrays do not describe the same number of examples.</exception>
    public RegressionDataset(float[] inputs, float[] targets, int features, int outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (inputs.Length % features != 0)
            throw new ArgumentException(
                $"{inputs.Length} input values are not a whole number of examples of {features} features.", nameof(inputs));
        Count = inputs.Length / features;
        ExampleRows.Check(targets.Length, Count, outputs, "outputs", nameof(targets));
        (Inputs, Targets, Features, Outputs) = (inputs, targets, features, outputs);
    }

    /// <summary>The inputs, <see cref="Count"/> × <see cref="Features"/>, row-major.</summary>
    public float[] Inputs { get; }

    /// <summary>The targets, <see cref="Count"/> × <see cref="Outputs"/>, row-major.</summary>
    public float[] Targets { get; }

    /// <summary>Input values per example.</summary>
    public int Features { get; }

    /// <summary>Target values per example.</summary>
    public int Outputs { get; }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>The inputs of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Input(int index) => Inputs.AsSpan(index * Features, Features);

    /// <summary>The targets of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Target(int index) => Targets.AsSpan(index * Outputs, Outputs);
}
