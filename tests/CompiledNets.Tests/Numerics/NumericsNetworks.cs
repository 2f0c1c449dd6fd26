// Extra networks for the numerics tests, compiled by the generator like any user's network.
namespace CompiledNets.Tests.Numerics;

// Mask counters: input dropout straight into one linear output. With every weight 1, the bias 0 and every
// input 1, the output of an example is keptValue × (number of kept inputs), so a training-mode Forward
// exposes the masks the generated code sampled without reaching into it.

/// <summary>Counts kept inputs at rate 0.1 (keep p = 0.9), unscaled while training.</summary>
[Network(1000, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.1)]
[Dense(1)]
public partial class KeepCount10Net;

/// <summary>Counts kept inputs at rate 0.5 (keep p = 0.5), unscaled while training.</summary>
[Network(1000, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.5)]
[Dense(1)]
public partial class KeepCount50Net;

/// <summary>Counts kept inputs at rate 0.8 (keep p = 0.2), unscaled while training.</summary>
[Network(1000, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.8)]
[Dense(1)]
public partial class KeepCount80Net;

/// <summary>Rate 0.1 with inverted scaling: kept inputs are multiplied by 1/0.9 while training.</summary>
[Network(1000, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.1, Scaling = DropoutScaling.Inverted)]
[Dense(1)]
public partial class KeepCountInverted10Net;

/// <summary>Rate 0.5 with inverted scaling: kept inputs are multiplied by 2 while training.</summary>
[Network(1000, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(1)]
public partial class KeepCountInverted50Net;

/// <summary>Rate 0.8 with inverted scaling: kept inputs are multiplied by 5 while training.</summary>
[Network(1000, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.8, Scaling = DropoutScaling.Inverted)]
[Dense(1)]
public partial class KeepCountInverted80Net;

// Dense → Dropout → Dense, for checking that Backward lets no gradient through a dropped unit. Tanh (not ReLU)
// so that a kept unit's output is never exactly 0: an unchanged output then means "dropped", nothing else.

/// <summary>A hidden layer followed by dropout (rate 0.5, unscaled while training).</summary>
[Network(6)]
[Dense(10, Activation.Tanh)]
[Dropout(0.5)]
[Dense(4)]
public partial class HiddenDropoutNet;

/// <summary>As <see cref="HiddenDropoutNet"/>, with inverted scaling.</summary>
[Network(6)]
[Dense(10, Activation.Tanh)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(4)]
public partial class HiddenInvertedDropoutNet;

/// <summary>Input dropout (rate 0.5) in front of two dense layers.</summary>
[Network(8)]
[Dropout(0.5)]
[Dense(5, Activation.Tanh)]
[Dense(3)]
public partial class InputDropoutNet;

// Edge cases of the layer list, for the gradient checks: dropout as the very last layer (on the logits or the
// regression outputs), a dropout of rate 0, and a single dense layer.

/// <summary>Dropout on the logits themselves (allowed: a dropout may follow any dense layer).</summary>
[Network(5)]
[Dense(4, Activation.Sigmoid)]
[Dense(3)]
[Dropout(0.3)]
public partial class TrailingDropoutNet;

/// <summary>Regression whose outputs pass through an inverted dropout last.</summary>
[Network(4, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.2, Scaling = DropoutScaling.Inverted)]
[Dense(6, Activation.Tanh)]
[Dense(2)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
public partial class TrailingInvertedDropoutRegressionNet;

/// <summary>A dropout of rate 0 (keeps everything) and a single dense layer on the inputs.</summary>
[Network(6)]
[Dropout(0)]
[Dense(3)]
public partial class ZeroRateSingleLayerNet;

/// <summary>
/// Layers wider than a Vector512 (16 floats) and not multiples of it, so the gradient checks run the kernels' vector
/// loops and their tails; both scaling rules; no ReLU (no kinks), so every parameter can be checked.
/// </summary>
[Network(40)]
[Dropout(0.2)]
[Dense(37, Activation.Tanh)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(33, Activation.Sigmoid)]
[Dropout(0.25)]
[Dense(10)]
public partial class WideMixedNet;
