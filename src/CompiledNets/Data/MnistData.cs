namespace CompiledNets;

/// <summary>The MNIST (or Fashion-MNIST) training and test splits, as <see cref="Mnist.Load"/> reads them.</summary>
/// <param name="Train">The 60,000 training examples.</param>
/// <param name="Test">The 10,000 test examples.</param>
public sealed record MnistData(Dataset Train, Dataset Test);
