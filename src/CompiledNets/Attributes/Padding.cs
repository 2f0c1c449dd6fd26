namespace CompiledNets;

/// <summary>How a <see cref="Conv2DAttribute"/> layer treats the border of its input.</summary>
/// <remarks>The numeric values are part of the contract with the source generator; do not renumber.</remarks>
public enum Padding
{
    /// <summary>No padding: every window lies inside the input; output <c>floor((in − k) / stride) + 1</c>.</summary>
    Valid = 0,
    /// <summary>
    /// TensorFlow's "same": output <c>ceil(in / stride)</c>, the input surrounded by zeros, in total
    /// <c>max((out − 1) · stride + k − in, 0)</c> rows (columns), split evenly with the odd one at the bottom (right).
    /// </summary>
    Same = 1,
}
