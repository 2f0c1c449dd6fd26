// The networks of make_pytorch_fixtures.py, declared for the generator. Keep the two in step.
namespace CompiledNets.Tests.CrossCheck;

[Network(6)]
[Dense(5, Activation.ReLU)]
[Dropout(0.5)]
[Dense(4, Activation.Tanh)]
[Dropout(0.3, Scaling = DropoutScaling.Inverted)]
[Dense(3)]
public partial class CrossCheckClassifier;

[Network(5, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.2, Scaling = DropoutScaling.Inverted)]
[Dense(7, Activation.Sigmoid)]
[Dense(2)]
public partial class CrossCheckRegression;

[Network(20)]
[Dense(16, Activation.ReLU)]
[Dropout(0.5)]
[Dense(8, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class CrossCheckReferenceShape;
