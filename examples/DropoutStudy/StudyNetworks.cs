using CompiledNets;

namespace CompiledNets.Examples.DropoutStudy;

// The study's networks. Default initialization (He-normal for ReLU layers, biases 0), ReLU, softmax cross-entropy;
// dropout as PyTorch's nn.Dropout (Inverted), so that every configuration here trains as its PyTorch twin in
// peers/pytorch_study.py does.

/// <summary>The reference network (784-200-100-10) without dropout.</summary>
[Network(784)]
[Dense(200, Activation.ReLU)]
[Dense(100, Activation.ReLU)]
[Dense(10)]
public partial class ReferenceNoDropout;

/// <summary>The wide network (784-1024-1024-10) without dropout.</summary>
[Network(784)]
[Dense(1024, Activation.ReLU)]
[Dense(1024, Activation.ReLU)]
[Dense(10)]
public partial class Wide;

/// <summary>The wide network with dropout 0.2 on the inputs and 0.5 after each hidden layer.</summary>
[Network(784)]
[Dropout(0.2, Scaling = DropoutScaling.Inverted)]
[Dense(1024, Activation.ReLU)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(1024, Activation.ReLU)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(10)]
public partial class WideDropout;
