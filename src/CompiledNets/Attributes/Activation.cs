namespace CompiledNets;

/// <summary>The nonlinearity a <see cref="DenseAttribute"/> layer applies to its output.</summary>
/// <remarks>The numeric values are part of the contract with the source generator; do not renumber.</remarks>
public enum Activation
{
    /// <summary>No nonlinearity: the layer is affine (use for logits and regression outputs).</summary>
    None = 0,
    /// <summary>Rectified linear unit, <c>max(0, x)</c>.</summary>
    ReLU = 1,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 2,
    /// <summary>Logistic sigmoid, <c>1 / (1 + e^-x)</c>.</summary>
    Sigmoid = 3,
}
