namespace CompiledNets;

/// <summary>The loss a network is trained on, chosen with <see cref="NetworkAttribute.Loss"/>.</summary>
/// <remarks>The numeric values are part of the contract with the source generator; do not renumber.</remarks>
public enum LossFunction
{
    /// <summary>
    /// Softmax over the last layer's outputs (logits), then the mean over the batch of the negative log
    /// probability of the true class. Labels are class indices (<c>ReadOnlySpan&lt;int&gt;</c>).
    /// </summary>
    SoftmaxCrossEntropy = 0,
    /// <summary>
    /// Mean over every output of every example of the squared difference to the target (as PyTorch's
    /// <c>MSELoss()</c>). Targets are <c>ReadOnlySpan&lt;float&gt;</c> of batchSize × OutputSize.
    /// </summary>
    MeanSquaredError = 1,
}
