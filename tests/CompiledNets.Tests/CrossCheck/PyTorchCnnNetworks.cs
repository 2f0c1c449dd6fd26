// The convolutional networks of make_pytorch_cnn_fixtures.py, declared for the generator. Keep the two in step.
namespace CompiledNets.Tests.CrossCheck;

[Network(2, 11, 11)]
[Conv2D(3, 3, Activation.ReLU, Padding = Padding.Same)]    // 3×11×11
[MaxPool2D(2)]                                             // 3×5×5 (the last row and column are not read)
[SpatialDropout(0.25, Scaling = DropoutScaling.Inverted)]  // mask [batch, 3]
[Conv2D(4, 3, Activation.Tanh, Stride = 2)]                // Valid: 4×2×2
[Dropout(0.5)]                                             // per element, AtInference: mask [batch, 16]
[Dense(5, Activation.Sigmoid)]                             // reads the 16 values in [C, H, W] order
[Dense(3)]
public partial class CnnCrossCheckClassifier;

[Network(3, 12, 11)]
[Conv2D(4, 3, Activation.ReLU, Stride = 2, Padding = Padding.Same)]  // 4×6×6: rows padded 0 top, 1 bottom; columns 1, 1
[MaxPool2D(3, Stride = 2)]                                 // overlapping windows: 4×2×2
[SpatialDropout(0.5)]                                      // AtInference: mask [batch, 4]
[Conv2D(5, 2, Activation.Sigmoid, Padding = Padding.Same)] // even kernel: 5×2×2, padded 0 top/left, 1 bottom/right
[Dropout(0.3, Scaling = DropoutScaling.Inverted)]          // per element: mask [batch, 20]
[Dense(6, Activation.ReLU)]
[Dense(4)]
public partial class CnnCrossCheckStridedSame;

[Network(1, 9, 9, Loss = LossFunction.MeanSquaredError)]
[Conv2D(2, 3, Activation.Tanh, Stride = 2)]                // Valid: 2×4×4
[SpatialDropout(0.5, Scaling = DropoutScaling.Inverted)]   // mask [batch, 2]
[Conv2D(3, 5, Padding = Padding.Same)]                     // kernel larger than its input: 3×4×4, padded 2 and 2
[MaxPool2D(2, Stride = 1)]                                 // 3×3×3
[Conv2D(2, 4, Activation.Sigmoid, Stride = 2, Padding = Padding.Same)]  // 2×2×2, padded 1 top/left, 2 bottom/right
[Dense(2)]                                                 // straight after a convolution
public partial class CnnCrossCheckRegression;
