using CompiledNets;

namespace CompiledNets.Examples.FromPyTorch;

/// <summary>
/// The network train_in_pytorch.py trains, layer for layer: its nn.Sequential is Linear(784, 200), ReLU, Dropout(0.5),
/// Linear(200, 100), ReLU, Dropout(0.5), Linear(100, 10), so its state dict's modules are "0", "3" and "6". PyTorch's
/// nn.Dropout divides the kept units by p while training and does nothing at eval(): <see cref="DropoutScaling.Inverted"/>.
/// Built with <c>-p:CompiledModel=net.safetensors</c> the parameters are compiled in from that file.
/// </summary>
#if COMPILED_MODEL
[Network(784, Weights = "model.safetensors")]
#else
[Network(784)]
#endif
[Dense(200, Activation.ReLU)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(100, Activation.ReLU)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(10)]
public partial class TorchNet;
