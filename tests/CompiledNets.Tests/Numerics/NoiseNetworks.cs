// Networks for the Gaussian members of the dropout family (GaussianDropoutTests, GaussianNoiseTests), compiled by the
// generator like any user's.
namespace CompiledNets.Tests.Numerics;

/// <summary>Gaussian dropout on the input and after a Dense, at widths that are not multiples of a vector.</summary>
[Network(7)]
[GaussianDropout(0.2)]
[Dense(9, Activation.Tanh)]
[GaussianDropout(0.5)]
[Dense(4)]
public partial class GaussianDropoutNet;

/// <summary>
/// Gaussian dropout per element after two convolutions, regression. (No max pooling: with a MaxPool2D after the first
/// dropout, the inference check failed at these seeds because a pooling window holds a near tie; the same network without
/// the noise layers fails identically at h = 1e-3, and its numeric gradients converge to the analytic ones as h shrinks
/// to 1e-4.)
/// </summary>
[Network(2, 6, 6, Loss = LossFunction.MeanSquaredError)]
[Conv2D(3, 3, Activation.Sigmoid)]
[GaussianDropout(0.3)]
[Conv2D(2, 2, Activation.Tanh, Stride = 2)]
[GaussianDropout(0.1)]
[Dense(2)]
public partial class GaussianDropoutImageNet;

/// <summary>One Gaussian dropout on a 37-wide input and a linear read-out: ε is read through DropoutMask(0).</summary>
[Network(37, Loss = LossFunction.MeanSquaredError)]
[GaussianDropout(0.3)]
[Dense(5)]
public partial class GaussianDropoutStatisticsNet;

/// <summary>Every noise layer of the dropout family at the sizes of a small real network, for the allocation tests.</summary>
[Network(1, 12, 12)]
[Conv2D(4, 3, Activation.ReLU)]
[GaussianDropout(0.2)]
[Dense(64, Activation.ReLU)]
[GaussianNoise(0.1)]
[Dense(32, Activation.SELU)]
[AlphaDropout(0.1)]
[Dense(10)]
public partial class AllocationNoiseNet;

/// <summary>Gaussian noise on the input and after a Dense, with a standalone dropout after it (no Dense to fuse into).</summary>
[Network(7)]
[GaussianNoise(0.3)]
[Dense(9, Activation.Tanh)]
[GaussianNoise(0.5)]
[Dropout(0.3)]
[Dense(4)]
public partial class GaussianNoiseNet;

/// <summary>Gaussian noise per element after a convolution, followed by Gaussian dropout, regression.</summary>
[Network(2, 6, 6, Loss = LossFunction.MeanSquaredError)]
[Conv2D(3, 3, Activation.Sigmoid)]
[GaussianNoise(0.2)]
[GaussianDropout(0.2)]
[Conv2D(2, 2, Activation.Tanh, Stride = 2)]
[Dense(2)]
public partial class GaussianNoiseImageNet;

/// <summary>One Gaussian noise layer on a 37-wide input and a linear read-out: the noise is read through DropoutMask(0).</summary>
[Network(37, Loss = LossFunction.MeanSquaredError)]
[GaussianNoise(0.4)]
[Dense(5)]
public partial class GaussianNoiseStatisticsNet;

/// <summary>SELU in two Dense layers: the matrix product's row-wise forward finish and its backward epilogue.</summary>
[Network(6)]
[Dense(7, Activation.SELU)]
[Dense(5, Activation.SELU)]
[Dense(3)]
public partial class SeluNet;

/// <summary>SELU after two convolutions: the convolution's finish, its standalone backward and a Dense folding it.</summary>
[Network(2, 5, 5, Loss = LossFunction.MeanSquaredError)]
[Conv2D(3, 3, Activation.SELU)]
[Conv2D(2, 2, Activation.SELU)]
[Dense(2)]
public partial class SeluImageNet;

/// <summary>Alpha dropout on the input and after a SELU Dense.</summary>
[Network(7)]
[AlphaDropout(0.1)]
[Dense(9, Activation.SELU)]
[AlphaDropout(0.2)]
[Dense(4)]
public partial class AlphaDropoutNet;

/// <summary>Alpha dropout per element after a SELU convolution, regression.</summary>
[Network(2, 5, 5, Loss = LossFunction.MeanSquaredError)]
[Conv2D(3, 3, Activation.SELU)]
[AlphaDropout(0.25)]
[Conv2D(2, 2, Activation.SELU)]
[Dense(2)]
public partial class AlphaDropoutImageNet;

/// <summary>
/// Alpha dropout on a 64-wide input and a Dense read-out that the tests set to the identity, so that the network's output
/// is the dropout's output.
/// </summary>
[Network(64, Loss = LossFunction.MeanSquaredError)]
[AlphaDropout(0.2)]
[Dense(64)]
public partial class AlphaDropoutStatisticsNet;
