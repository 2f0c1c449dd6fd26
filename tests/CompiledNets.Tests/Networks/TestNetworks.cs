// Networks declared in the test project itself, so the generator runs on them exactly as on a user's code.
namespace CompiledNets.Tests.Networks;

/// <summary>The dropout tutorial's network: 784-200-100-10, ReLU, dropout 0.5 on both hidden layers.</summary>
[Network(784)]
[Dense(200, Activation.ReLU)]
[Dropout(0.5)]
[Dense(100, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class ReferenceNet;

/// <summary>Small, with every activation, input dropout and both scaling rules, for gradient checks.</summary>
[Network(7)]
[Dropout(0.25)]
[Dense(9, Activation.Tanh)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(6, Activation.Sigmoid)]
[Dropout(0.3)]
[Dense(5, Activation.ReLU)]
[Dense(3)]
public partial class SmallMixedNet;

/// <summary>A small regression network on mean squared error.</summary>
[Network(5, Loss = LossFunction.MeanSquaredError)]
[Dense(8, Activation.Tanh)]
[Dropout(0.2)]
[Dense(3)]
public partial class SmallRegressionNet;

/// <summary>A purely linear network with dropout, where inference must equal the mean of training outputs exactly.</summary>
[Network(4)]
[Dropout(0.4)]
[Dense(3)]
[Dropout(0.6)]
[Dense(2)]
public partial class LinearAtInferenceNet;

/// <summary>As <see cref="LinearAtInferenceNet"/>, with inverted scaling.</summary>
[Network(4)]
[Dropout(0.4, Scaling = DropoutScaling.Inverted)]
[Dense(3)]
[Dropout(0.6, Scaling = DropoutScaling.Inverted)]
[Dense(2)]
public partial class LinearInvertedNet;

/// <summary>
/// Two dense layers without activations: the input gradient of the second layer has no activation output to read.
/// Its first train step threw NullReferenceException on the plain-loop path (x64 without AVX2, ARM64 before the
/// 128-bit kernels) because the scalar finishing step read that missing output.
/// </summary>
[Network(2)]
[Dense(16)]
[Dense(2)]
public partial class LinearTwoLayerNet;
