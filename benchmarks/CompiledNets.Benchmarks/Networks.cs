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

/// <summary>
/// A wide network for the train-step tables: 784-1024-1024-10, ReLU, dropout 0.5 on both hidden layers, softmax
/// cross-entropy. Its step (about 1.2 GFLOP at batch 128) is dominated by large matrix products, where the kernels'
/// share of the machine's peak matters more than per-call overhead.
/// </summary>
[Network(784)]
[Dense(1024, Activation.ReLU)]
[Dropout(0.5)]
[Dense(1024, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class WideNet;
