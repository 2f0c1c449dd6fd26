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

/// <summary>
/// LeNet as DESIGN.md declares it (and examples/LeNet): two 5×5 convolutions with ReLU, each followed by 2×2 max pooling,
/// spatial dropout 0.2, then 256-120-84-10 with ReLU and dropout 0.5 on both hidden layers, softmax cross-entropy.
/// </summary>
[Network(1, 28, 28)]
[Conv2D(6, 5, Activation.ReLU)]
[MaxPool2D(2)]
[Conv2D(16, 5, Activation.ReLU)]
[MaxPool2D(2)]
[SpatialDropout(0.2)]
[Dense(120, Activation.ReLU)]
[Dropout(0.5)]
[Dense(84, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class LeNet;
