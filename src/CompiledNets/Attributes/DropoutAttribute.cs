using System;

namespace CompiledNets;

/// <summary>
/// Dropout on the layer before it (the input when it follows <see cref="NetworkAttribute"/> directly):
/// while training, each unit is dropped (set to 0) with probability <see cref="Rate"/> and kept with
/// probability <c>p = 1 - Rate</c>, with a fresh mask for every training forward pass.
/// </summary>
/// <remarks>
/// <see cref="Rate"/> is the <b>drop</b> probability, as in Keras and PyTorch. How the expected activation is
/// kept equal between training and inference is chosen with <see cref="Scaling"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares a dropout layer.</summary>
    /// <param name="rate">The probability of dropping each unit, <c>0 &lt;= rate &lt; 1</c>.</param>
    public DropoutAttribute(double rate) => Rate = rate;

    /// <summary>The probability of dropping each unit while training.</summary>
    public double Rate { get; }

    /// <summary>Where the <c>1 / p</c> correction is applied. Defaults to <see cref="DropoutScaling.AtInference"/>.</summary>
    public DropoutScaling Scaling { get; set; } = DropoutScaling.AtInference;
}
