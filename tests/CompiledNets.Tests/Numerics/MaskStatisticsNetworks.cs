// Networks for the per-unit mask statistics and the ReLU inference-gap tests, compiled by the generator like any user's.
namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Dropout at the three rates, one per layer, at widths that are not multiples of a vector (37 + 50 + 23 = 110
/// units), so every unit position (even/odd element of a 64-bit draw, vector tail) is covered. At-inference scaling.
/// </summary>
[Network(37, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.1)]
[Dense(50, Activation.ReLU)]
[Dropout(0.5)]
[Dense(23)]
[Dropout(0.8)]
public partial class MaskStatisticsNet;

/// <summary>As <see cref="MaskStatisticsNet"/>, with inverted scaling (kept units hold 1/p).</summary>
[Network(37, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.1, Scaling = DropoutScaling.Inverted)]
[Dense(50, Activation.ReLU)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(23)]
[Dropout(0.8, Scaling = DropoutScaling.Inverted)]
public partial class MaskStatisticsInvertedNet;

/// <summary>Input dropout in front of one ReLU layer, dropout again, then a linear read-out: the smallest net with an inference gap.</summary>
[Network(6, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.2)]
[Dense(24, Activation.ReLU, BiasInit = 0.3)]
[Dropout(0.3)]
[Dense(3)]
public partial class ReLUGapNet;

/// <summary>As <see cref="ReLUGapNet"/>, with inverted scaling.</summary>
[Network(6, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.2, Scaling = DropoutScaling.Inverted)]
[Dense(24, Activation.ReLU, BiasInit = 0.3)]
[Dropout(0.3, Scaling = DropoutScaling.Inverted)]
[Dense(3)]
public partial class ReLUGapInvertedNet;
