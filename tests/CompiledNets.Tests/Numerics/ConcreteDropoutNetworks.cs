// Networks for ConcreteDropoutTests, compiled by the generator like any user's.
namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Concrete dropout on the input and after a Dense, at widths that are not multiples of a vector, with regularizers large
/// enough that their gradients are well above the finite-difference check's tolerance.
/// </summary>
[Network(7)]
[ConcreteDropout(0.3, WeightRegularizer = 0.05, DropoutRegularizer = 0.02)]
[Dense(9, Activation.Tanh)]
[ConcreteDropout(0.4, WeightRegularizer = 0.1, DropoutRegularizer = 0.03)]
[Dense(4)]
public partial class ConcreteDropoutNet;

/// <summary>The same places with Gal's default regularizers (1e-6 and 1e-5).</summary>
[Network(7)]
[ConcreteDropout(0.3)]
[Dense(9, Activation.Tanh)]
[ConcreteDropout(0.4)]
[Dense(4)]
public partial class ConcreteDropoutDefaultsNet;

/// <summary>Concrete dropout per element after a convolution, before another convolution, regression.</summary>
[Network(2, 6, 6, Loss = LossFunction.MeanSquaredError)]
[Conv2D(3, 3, Activation.Sigmoid)]
[ConcreteDropout(0.25, WeightRegularizer = 0.05, DropoutRegularizer = 0.01)]
[Conv2D(2, 2, Activation.Tanh, Stride = 2)]
[Dense(2)]
public partial class ConcreteDropoutImageNet;

/// <summary>One concrete dropout on a 37-wide input and a linear read-out, no regularizers: z is read through DropoutMask(0).</summary>
[Network(37, Loss = LossFunction.MeanSquaredError)]
[ConcreteDropout(0.3, WeightRegularizer = 0, DropoutRegularizer = 0)]
[Dense(5)]
public partial class ConcreteDropoutStatisticsNet;

/// <summary>A dropout regularizer that outweighs the data: it pulls p towards 0.5 (where p·log p + (1 − p)·log(1 − p) is least).</summary>
[Network(10)]
[Dense(16, Activation.ReLU)]
[ConcreteDropout(0.05, WeightRegularizer = 0, DropoutRegularizer = 0.05)]
[Dense(3)]
public partial class ConcreteDropoutPulledNet;

/// <summary>No regularizers: only the data term moves the rate.</summary>
[Network(10)]
[Dense(16, Activation.ReLU)]
[ConcreteDropout(0.5, WeightRegularizer = 0, DropoutRegularizer = 0)]
[Dense(3)]
public partial class ConcreteDropoutDataNet;

/// <summary>The reference network's sizes with concrete dropout on the input and after each hidden layer, for the allocation tests.</summary>
[Network(784)]
[ConcreteDropout(0.2)]
[Dense(200, Activation.ReLU)]
[ConcreteDropout(0.5)]
[Dense(100, Activation.ReLU)]
[ConcreteDropout(0.5)]
[Dense(10)]
public partial class AllocationConcreteNet;
