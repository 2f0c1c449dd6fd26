// Image networks for the gradient and mask-statistics tests, compiled by the generator like any user's network.
namespace CompiledNets.Tests.Numerics;

/// <summary>Stride 2 with Same padding (odd total padding on the rows: the extra row at the bottom), two channels, then a valid 2×2 convolution.</summary>
[Network(2, 6, 5)]
[Conv2D(3, 3, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
[Conv2D(2, 2, Activation.Sigmoid)]
[Dense(3)]
public partial class StridedSameConvNet;

/// <summary>Valid and Same stride-1 convolutions, spatial dropout between them, per-element inverted dropout after.</summary>
[Network(3, 5, 5)]
[Conv2D(4, 3, Activation.Tanh)]
[SpatialDropout(0.5)]
[Conv2D(2, 3, Activation.Tanh, Padding = Padding.Same)]
[Dropout(0.3, Scaling = DropoutScaling.Inverted)]
[Dense(3)]
public partial class ConvDropoutNet;

/// <summary>Overlapping max pooling (3×3 windows, stride 2) on an odd-sized image, then two Dense layers.</summary>
[Network(1, 7, 7)]
[Conv2D(2, 3, Activation.Tanh)]
[MaxPool2D(3, Stride = 2)]
[Dense(3, Activation.Tanh)]
[Dense(2)]
public partial class OverlappingPoolNet;

/// <summary>Regression through Same convolution, 2×2 pooling and inverted spatial dropout.</summary>
[Network(2, 4, 4, Loss = LossFunction.MeanSquaredError)]
[Conv2D(3, 3, Activation.Sigmoid, Padding = Padding.Same)]
[MaxPool2D(2)]
[SpatialDropout(0.25, Scaling = DropoutScaling.Inverted)]
[Dense(2)]
public partial class ImageRegressionNet;

/// <summary>Many channels and examples for the spatial mask statistics: 1×1 convolution with weights set to 1 by the test.</summary>
[Network(1, 3, 3, Loss = LossFunction.MeanSquaredError)]
[Conv2D(64, 1)]
[SpatialDropout(0.3)]
[Dense(1)]
public partial class SpatialMaskNet;

/// <summary>LeNet as in DESIGN.md, for the allocation tests.</summary>
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
public partial class AllocationLeNet;
