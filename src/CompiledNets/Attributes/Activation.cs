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
    /// <summary>
    /// Scaled exponential linear unit (Klambauer et al. 2017), <c>λ·x</c> for <c>x &gt; 0</c> and <c>λα·(eˣ − 1)</c>
    /// otherwise, with PyTorch's λ = 1.0507009873554805 and α = 1.6732632423543772; the activation
    /// <see cref="AlphaDropoutAttribute"/> is made for.
    /// </summary>
    SELU = 4,
}
