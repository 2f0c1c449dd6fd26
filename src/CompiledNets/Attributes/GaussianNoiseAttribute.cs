using System;

namespace CompiledNets;

/// <summary>
/// Additive Gaussian noise (Keras' <c>GaussianNoise</c>): while training, N(0, <see cref="StdDev"/>²) is added to each
/// unit of the layer before it, freshly drawn for every training forward pass; at inference the layer is the identity.
/// </summary>
/// <remarks>
/// Per element, on the input (right after <see cref="NetworkAttribute"/>), after a <see cref="DenseAttribute"/> or after
/// an image layer. The gradient passes through it unchanged (the noise does not depend on the input). Monte Carlo
/// prediction (<see cref="ICompiledNetwork.PredictSamples"/>) draws fresh noise for each sample.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GaussianNoiseAttribute : Attribute
{
    /// <summary>Declares a Gaussian noise layer.</summary>
    /// <param name="stdDev">The noise's standard deviation: finite and not negative (0 makes the layer the identity).</param>
    public GaussianNoiseAttribute(double stdDev) => StdDev = stdDev;

    /// <summary>The standard deviation of the noise added to each unit while training.</summary>
    public double StdDev { get; }
}
