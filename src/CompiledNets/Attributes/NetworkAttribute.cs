using System;

namespace CompiledNets;

/// <summary>
/// Marks a <c>partial class</c> as a network compiled at build time. The layers are the
/// <see cref="DenseAttribute"/> and <see cref="DropoutAttribute"/> attributes that follow, in source order.
/// </summary>
/// <example>
/// <code>
/// [Network(784)]
/// [Dense(200, Activation.ReLU)]
/// [Dropout(0.5)]
/// [Dense(10)]
/// public partial class MyNet;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Declares a network reading <paramref name="inputs"/> values per example.</summary>
    /// <param name="inputs">The input width (for example 784 for a 28×28 image). Must be positive.</param>
    public NetworkAttribute(int inputs) => Inputs = inputs;

    /// <summary>The input width: values per example.</summary>
    public int Inputs { get; }

    /// <summary>The loss the network is trained on. Defaults to <see cref="LossFunction.SoftmaxCrossEntropy"/>.</summary>
    public LossFunction Loss { get; set; } = LossFunction.SoftmaxCrossEntropy;
}
