using CompiledNets;

namespace CompiledNets.Examples;

// The network of the classic dropout tutorial: 784-200-100-10, ReLU, dropout on both hidden layers, weights
// from a truncated normal with σ = 0.1 and biases starting at 1, as the tutorial sets them. Layers are wired
// in declaration order, so layer 2 reads the *dropped-out* layer-1 output (the tutorial's code bypassed it).

/// <summary>The tutorial's network with dropout 0.5 on both hidden layers (keep probability p = 0.5).</summary>
[Network(784)]
[Dense(200, Activation.ReLU, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
[Dropout(0.5)]
[Dense(100, Activation.ReLU, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
[Dropout(0.5)]
[Dense(10, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
public partial class TutorialNet;

/// <summary>The same network without dropout, for comparison (<c>--no-dropout</c>).</summary>
[Network(784)]
[Dense(200, Activation.ReLU, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
[Dense(100, Activation.ReLU, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
[Dense(10, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
public partial class TutorialNetNoDropout;
