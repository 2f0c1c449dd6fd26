// The networks of make_state_dict_fixtures.py, declared for the generator. Keep the two in step. PyTorch's nn.Dropout
// and nn.Dropout2d divide kept units by p while training and do nothing at eval(): DropoutScaling.Inverted.
namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>nn.Sequential(Linear(12, 16), ReLU, Dropout(0.3), Linear(16, 10), ReLU, Dropout(0.2), Linear(10, 4)): keys 0.*, 3.*, 6.*.</summary>
[Network(12)]
[Dense(16, Activation.ReLU)]
[Dropout(0.3, Scaling = DropoutScaling.Inverted)]
[Dense(10, Activation.ReLU)]
[Dropout(0.2, Scaling = DropoutScaling.Inverted)]
[Dense(4)]
public partial class StateDictMlp;

/// <summary>The fixture's Cnn: conv1, conv2, fc1, fc2, fc3 (valid padding, 2×2 max pooling, Dropout2d, Dropout).</summary>
[Network(1, 12, 12)]
[Conv2D(3, 3, Activation.ReLU)]                            // 3×10×10
[MaxPool2D(2)]                                             // 3×5×5
[Conv2D(4, 2, Activation.ReLU)]                            // 4×4×4
[MaxPool2D(2)]                                             // 4×2×2
[SpatialDropout(0.25, Scaling = DropoutScaling.Inverted)]
[Dense(12, Activation.ReLU)]                               // reads the 16 values in [C, H, W] order, as torch.flatten
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(8, Activation.Tanh)]
[Dense(3)]
public partial class StateDictCnn;

/// <summary>The MLP with other widths: every weight and bias has another shape.</summary>
[Network(12)]
[Dense(15, Activation.ReLU)]
[Dense(10, Activation.ReLU)]
[Dense(4)]
public partial class StateDictOtherMlp;

/// <summary>Two hidden layers of the same shape ([6, 6] and [6]): which module is which cannot be told by shape.</summary>
[Network(6)]
[Dense(6, Activation.Tanh)]
[Dense(6, Activation.Tanh)]
[Dense(2)]
public partial class StateDictTwinNet;

/// <summary>One output: the Linear weight is [1, 3], whose first stride PyTorch may save as anything.</summary>
[Network(3, Loss = LossFunction.MeanSquaredError)]
[Dense(1)]
public partial class StateDictSingleOutput;
