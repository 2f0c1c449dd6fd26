using CompiledNets;

namespace CompiledNets.Examples.LeNet;

/// <summary>LeNet as in DESIGN.md: two 5×5 convolutions with 2×2 max pooling, spatial dropout, then 120-84-10 with dropout.</summary>
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

/// <summary>
/// A stronger CNN for Fashion-MNIST (≥ 91% test accuracy): two 3×3 Same convolutions of 16 and 32 filters, each
/// followed by 2×2 pooling, dropout, a 128-unit hidden layer and dropout.
/// </summary>
[Network(1, 28, 28)]
[Conv2D(16, 3, Activation.ReLU, Padding = Padding.Same)]
[MaxPool2D(2)]
[Conv2D(32, 3, Activation.ReLU, Padding = Padding.Same)]
[MaxPool2D(2)]
[Dropout(0.25)]
[Dense(128, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class FashionCnn;
