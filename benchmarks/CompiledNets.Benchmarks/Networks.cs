using CompiledNets;

namespace CompiledNets.Benchmarks;

/// <summary>
/// The reference network of the speed targets: 784-200-100-10, ReLU, dropout 0.5 on both hidden layers, softmax
/// cross-entropy (default initialization; the initialization does not change the amount of work).
/// </summary>
[Network(784)]
[Dense(200, Activation.ReLU)]
[Dropout(0.5)]
[Dense(100, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class ReferenceNet;
