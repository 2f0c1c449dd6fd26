using System;

namespace CompiledNets;

/// <summary>
/// Dropout of whole channels (Keras' <c>SpatialDropout2D</c>, PyTorch's <c>Dropout2d</c>): while training, each channel
/// of each example is dropped with probability <see cref="Rate"/>, all its pixels together. Allowed after
/// <see cref="Conv2DAttribute"/> and <see cref="MaxPool2DAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SpatialDropoutAttribute : Attribute
{
    /// <summary>Declares a spatial dropout layer.</summary>
    /// <param name="rate">The probability of dropping each channel, <c>0 &lt;= rate &lt; 1</c>.</param>
    public SpatialDropoutAttribute(double rate) => Rate = rate;

    /// <summary>The probability of dropping each channel while training.</summary>
    public double Rate { get; }

    /// <summary>Where the <c>1 / p</c> correction is applied. Defaults to <see cref="DropoutScaling.AtInference"/>.</summary>
    public DropoutScaling Scaling { get; set; } = DropoutScaling.AtInference;
}
