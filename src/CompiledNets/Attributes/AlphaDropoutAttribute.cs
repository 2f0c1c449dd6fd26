using System;

namespace CompiledNets;

/// <summary>
/// Alpha dropout (Klambauer et al. 2017; Keras' and PyTorch's <c>AlphaDropout</c>), for self-normalizing networks of
/// <see cref="Activation.SELU"/> layers: while training, each unit is dropped with probability <see cref="Rate"/> to SELU's
/// negative saturation α′ = −λα ≈ −1.7581 instead of to 0, and then every unit is mapped to <c>a·x + b</c> with
/// <c>a = (q + α′²·q·(1 − q))^(−1/2)</c> and <c>b = −a·α′·(1 − q)</c>, <c>q = 1 − rate</c>, so that inputs of mean 0 and
/// variance 1 keep that mean and variance. At inference the layer is the identity.
/// </summary>
/// <remarks>
/// Allowed where <see cref="DropoutAttribute"/> is (on the input, after a Dense, after an image layer per element), not
/// directly after another dropout-family layer. After a layer whose activation is not SELU the generator warns (CNN0027):
/// the correction assumes SELU's statistics. Backward multiplies the gradient by <c>a</c> where a unit was kept and by 0
/// where it was dropped. Monte Carlo prediction (<see cref="ICompiledNetwork.PredictSamples"/>) draws a fresh mask for
/// each sample.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AlphaDropoutAttribute : Attribute
{
    /// <summary>Declares an alpha dropout layer.</summary>
    /// <param name="rate">The probability of dropping each unit, <c>0 &lt;= rate &lt; 1</c>.</param>
    public AlphaDropoutAttribute(double rate) => Rate = rate;

    /// <summary>The probability of dropping each unit while training.</summary>
    public double Rate { get; }
}
