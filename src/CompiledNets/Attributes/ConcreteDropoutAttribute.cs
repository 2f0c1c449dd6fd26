using System;

namespace CompiledNets;

/// <summary>
/// Concrete dropout (Gal, Hron &amp; Kendall 2017, "Concrete Dropout"): a dropout whose drop probability is learned. Its
/// logit is a trained parameter, the tensor <c>concrete{n}.logit</c> (one value) in <see cref="ICompiledNetwork.Parameters"/>,
/// starting at <c>log(r) − log(1 − r)</c> for <c>r = initialRate</c>. While training, with <c>p = sigmoid(logit)</c> and a
/// fresh <c>u ~ U(0, 1)</c> per element, the relaxed Bernoulli drop mask of temperature 0.1,
/// <c>z = sigmoid((log(p + ε) − log(1 − p + ε) + log(u + ε) − log(1 − u + ε)) / 0.1)</c> with ε = 1e-7, gives the output
/// <c>x · (1 − z) / (1 − p)</c>; at inference the layer is the identity. Monte Carlo prediction
/// (<see cref="ICompiledNetwork.PredictSamples"/>) draws fresh relaxed masks as training does.
/// </summary>
/// <remarks>
/// <para>
/// As in Gal's reference Keras code, the layer adds two regularizer terms to the loss that <c>Loss</c> and <c>TrainStep</c>
/// report (once per batch, not per example): <c>WeightRegularizer · Σ W² / (1 − p)</c> over the kernel weights of the
/// layer after it (which must be a <see cref="DenseAttribute"/> or <see cref="Conv2DAttribute"/>: the dropout is applied
/// to that layer's input), and <c>DropoutRegularizer · D · (p·log p + (1 − p)·log(1 − p))</c> with D the number of
/// values per example this layer reads. Their gradients go into <see cref="ICompiledNetwork.Gradients"/>.
/// </para>
/// <para>
/// Allowed where <see cref="DropoutAttribute"/> is (on the input, after a Dense, after an image layer per element), not
/// directly after another dropout-family layer, and only directly before a Dense or Conv2D. The generated class has a
/// <c>Concrete{n}Rate</c> property with the current drop probability, and <see cref="ConcreteDropoutRates.Of"/> reads
/// them from any network.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcreteDropoutAttribute : Attribute
{
    /// <summary>Declares a concrete dropout layer.</summary>
    /// <param name="initialRate">The drop probability training starts from, <c>0 &lt; initialRate &lt; 1</c>.</param>
    public ConcreteDropoutAttribute(double initialRate) => InitialRate = initialRate;

    /// <summary>The drop probability training starts from.</summary>
    public double InitialRate { get; }

    /// <summary>The weight term's factor (Gal's <c>weight_regularizer</c>, by default 1e-6, as his Keras code): finite, not negative.</summary>
    public double WeightRegularizer { get; set; } = 1e-6;

    /// <summary>The dropout term's factor (Gal's <c>dropout_regularizer</c>, by default 1e-5, as his Keras code): finite, not negative.</summary>
    public double DropoutRegularizer { get; set; } = 1e-5;
}
