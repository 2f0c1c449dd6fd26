namespace CompiledNets;

/// <summary>How a <see cref="DropoutAttribute"/> layer keeps the expected activation equal in training and inference.</summary>
/// <remarks>
/// With keep probability <c>p = 1 - rate</c>, both rules give every unit the same expected value in training
/// as in inference. The numeric values are part of the contract with the source generator; do not renumber.
/// </remarks>
public enum DropoutScaling
{
    /// <summary>
    /// The original dropout paper's rule: training passes kept units unchanged; inference keeps every
    /// unit and multiplies it by <c>p</c>.
    /// </summary>
    AtInference = 0,
    /// <summary>
    /// "Inverted" dropout (TensorFlow, PyTorch): training divides kept units by <c>p</c>; inference is the identity.
    /// </summary>
    Inverted = 1,
}
