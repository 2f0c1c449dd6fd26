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

/// <summary>
/// The wide network with dropout and, after every optimizer step, each unit's incoming weights kept at norm ≤ 3
/// (Srivastava et al. 2014's max-norm; Keras' MaxNorm(3)).
/// </summary>
[Network(784)]
[Dropout(0.2, Scaling = DropoutScaling.Inverted)]
[Dense(1024, Activation.ReLU, MaxNorm = 3)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(1024, Activation.ReLU, MaxNorm = 3)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(10, MaxNorm = 3)]
public partial class WideDropoutMaxNorm;

/// <summary>The wide network with Gaussian dropout of the same rates: ε ~ N(1, rate/(1 − rate)) in place of the masks.</summary>
[Network(784)]
[GaussianDropout(0.2)]
[Dense(1024, Activation.ReLU)]
[GaussianDropout(0.5)]
[Dense(1024, Activation.ReLU)]
[GaussianDropout(0.5)]
[Dense(10)]
public partial class WideGaussianDropout;

/// <summary>
/// The wide network with concrete dropout (Gal, Hron &amp; Kendall 2017): rates learned from 0.2 (inputs) and 0.5 (after
/// each hidden layer). Regularizers as Gal's MNIST notebook sets them for N training examples: length-scale l = 1e-4,
/// weight regularizer l² / N and dropout regularizer 2 / N, with N = 60000 (Fashion-MNIST's training set, as MNIST's):
/// 1e-8 / 60000 ≈ 1.7e-13 (the weight term is all but off) and 2 / 60000 ≈ 3.3e-5.
/// </summary>
[Network(784)]
[ConcreteDropout(0.2, WeightRegularizer = 1e-8 / 60000, DropoutRegularizer = 2.0 / 60000)]
[Dense(1024, Activation.ReLU)]
[ConcreteDropout(0.5, WeightRegularizer = 1e-8 / 60000, DropoutRegularizer = 2.0 / 60000)]
[Dense(1024, Activation.ReLU)]
[ConcreteDropout(0.5, WeightRegularizer = 1e-8 / 60000, DropoutRegularizer = 2.0 / 60000)]
[Dense(10)]
public partial class WideConcreteDropout;
