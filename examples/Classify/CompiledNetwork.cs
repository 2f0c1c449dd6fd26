#if COMPILED_MODEL
using CompiledNets;

namespace CompiledNets.Examples;

/// <summary>
/// The tutorial's network (<see cref="TutorialNet"/>) with its parameters compiled in from the file the build was given
/// as <c>-p:CompiledModel=…</c>: the constructor starts from them, no file is opened.
/// </summary>
[Network(784, Weights = "model.safetensors")]
[Dense(200, Activation.ReLU)]
[Dropout(0.5)]
[Dense(100, Activation.ReLU)]
[Dropout(0.5)]
[Dense(10)]
public partial class CompiledTutorialNet
{
    /// <summary>What the class names are taken from: the compiled-in file carries no metadata, so the build says it.</summary>
    public const string ModelData = "Fashion-MNIST";
}
#endif
