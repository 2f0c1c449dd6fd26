using System;

namespace CompiledNets;

/// <summary>
/// Max pooling over an image: each output pixel is the largest value in its <c>size × size</c> window of the same
/// channel. No padding: output <c>floor((in − size) / stride) + 1</c>. No parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : Attribute
{
    /// <summary>Declares a max-pooling layer.</summary>
    /// <param name="size">Side of the square window. Must be positive and fit the input.</param>
    public MaxPool2DAttribute(int size) => Size = size;

    /// <summary>Side of the square window.</summary>
    public int Size { get; }

    /// <summary>Step between windows (default 0: the window's size, so windows do not overlap).</summary>
    public int Stride { get; set; }
}
