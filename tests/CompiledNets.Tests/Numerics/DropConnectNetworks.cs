// Networks for the DropConnect tests, compiled by the generator like any user's network.
namespace CompiledNets.Tests.Numerics;

/// <summary>
/// DropConnect on a middle layer (so its kernel writes the input gradient of a layer with dropout and Tanh before it) and on
/// the output layer; 37 units cover whole vectors and a scalar tail at every width. Smooth activations for finite differences.
/// </summary>
[Network(5)]
[Dense(9, Activation.Tanh)]
[Dropout(0.3)]
[Dense(37, Activation.Tanh, DropConnect = 0.5)]
[Dense(3, DropConnect = 0.25)]
public partial class DropConnectGradientNet;

/// <summary>DropConnect on the first layer (no input gradient), Sigmoid, and a dropout after a DropConnect layer.</summary>
[Network(4)]
[Dense(21, Activation.Sigmoid, DropConnect = 0.4)]
[Dropout(0.2)]
[Dense(3)]
public partial class DropConnectFirstLayerNet;

/// <summary>
/// Reads the masks off the output: with weights W[i, o] = 2^i, zero bias and inputs 1, output [b, o] = Σ_i 2^i m_b[i, o],
/// so bit i of the output is weight [i, o]'s mask for example b.
/// </summary>
[Network(4, Loss = LossFunction.MeanSquaredError)]
[Dense(100, DropConnect = 0.3)]
public partial class DropConnectMaskNet;

/// <summary>The reference network's shape, smaller, for the thread-count and allocation tests.</summary>
[Network(64)]
[Dense(48, Activation.ReLU, DropConnect = 0.5)]
[Dense(40, Activation.ReLU, DropConnect = 0.5)]
[Dense(10)]
public partial class DropConnectMlpNet;

/// <summary>Mean-weight inference.</summary>
[Network(6)]
[Dense(20, Activation.ReLU, DropConnect = 0.4, DropConnectInference = DropConnectInference.MeanWeight)]
[Dense(3, DropConnect = 0.5, DropConnectInference = DropConnectInference.MeanWeight)]
public partial class DropConnectMeanWeightNet;

/// <summary>Mean-weight inference with a smooth activation, for finite differences.</summary>
[Network(6)]
[Dense(20, Activation.Tanh, DropConnect = 0.4, DropConnectInference = DropConnectInference.MeanWeight)]
[Dense(3, DropConnect = 0.5, DropConnectInference = DropConnectInference.MeanWeight)]
public partial class DropConnectMeanWeightTanhNet;

/// <summary>Moment-matching inference with many samples (for the comparison with Monte Carlo references), raw outputs.</summary>
[Network(64, Loss = LossFunction.MeanSquaredError)]
[Dense(6, Activation.ReLU, DropConnect = 0.5, DropConnectSamples = 4096)]
public partial class DropConnectMomentReLUNet;

/// <summary>Moment matching through Tanh, many samples.</summary>
[Network(64, Loss = LossFunction.MeanSquaredError)]
[Dense(6, Activation.Tanh, DropConnect = 0.3, DropConnectSamples = 4096)]
public partial class DropConnectMomentTanhNet;
