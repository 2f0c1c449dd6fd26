using System;
using System.Collections.Generic;

namespace CompiledNets;

/// <summary>
/// One named tensor inside a network's flat <see cref="ICompiledNetwork.Parameters"/>: for dense layer <c>n</c>
/// (1-based), <c>dense{n}.weight</c> of shape [inputs, units] (row-major; PyTorch's <c>Linear.weight</c> transposed)
/// and <c>dense{n}.bias</c> of shape [units].
/// </summary>
public sealed class ParameterTensor
{
    /// <summary>Describes a tensor.</summary>
    /// <param name="name">Its name, e.g. <c>dense1.weight</c>.</param>
    /// <param name="offset">Where it starts in the flat parameter vector.</param>
    /// <param name="shape">Its dimensions, outermost first.</param>
    public ParameterTensor(string name, int offset, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentNullException.ThrowIfNull(shape);
        long length = 1;
        foreach (int dimension in shape)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1, nameof(shape));
            length *= dimension;
        }
        Name = name;
        Offset = offset;
        Shape = shape.AsReadOnly();
        Length = checked((int)length);
    }

    /// <summary>The tensor's name, e.g. <c>dense1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Where it starts in the flat parameter vector.</summary>
    public int Offset { get; }

    /// <summary>Its dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The number of values (the product of <see cref="Shape"/>).</summary>
    public int Length { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}] at {Offset}";
}
