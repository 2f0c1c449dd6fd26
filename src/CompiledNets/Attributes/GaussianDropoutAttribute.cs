using System;

namespace CompiledNets;

/// <summary>
/// Gaussian dropout (Srivastava et al. 2014, section 10; Keras' <c>GaussianDropout</c>): while training, each unit of
/// the layer before it is multiplied by its own ε ~ N(1, rate / (1 − rate)), freshly drawn for every training forward
/// pass; at inference the layer is the identity. The noise has the mean and variance of the multiplier of a
/// <see cref="DropoutAttribute"/> of the same rate with <see cref="DropoutScaling.Inverted"/> scaling.
/// </summary>
/// <remarks>
/// Allowed where <see cref="DropoutAttribute"/> is: right after <see cref="NetworkAttribute"/> (on the input), after a
/// <see cref="DenseAttribute"/>, and after an image layer (per element); not directly after another dropout-family layer.
/// Backward multiplies the gradient by the same ε. Monte Carlo prediction (<see cref="ICompiledNetwork.PredictSamples"/>)
/// draws fresh ε for each sample.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GaussianDropoutAttribute : Attribute
{
    /// <summary>Declares a Gaussian dropout layer.</summary>
    /// <param name="rate">The drop probability the noise is matched to, <c>0 &lt;= rate &lt; 1</c>: ε has variance <c>rate / (1 − rate)</c>.</param>
    public GaussianDropoutAttribute(double rate) => Rate = rate;

    /// <summary>The drop probability the noise is matched to: ε ~ N(1, rate / (1 − rate)).</summary>
    public double Rate { get; }
}
