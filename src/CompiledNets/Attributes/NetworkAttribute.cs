using System;

namespace CompiledNets;

/// <summary>
/// Marks a <c>partial class</c> as a network compiled at build time. The layers are the layer attributes that follow
/// (<see cref="DenseAttribute"/>, <see cref="DropoutAttribute"/>, <see cref="Conv2DAttribute"/>, …), in source order.
/// </summary>
/// <example>
/// <code>
/// [Network(784)]
/// [Dense(200, Activation.ReLU)]
/// [Dropout(0.5)]
/// [Dense(10)]
/// public partial class MyNet;
///
/// [Network(1, 28, 28)]   // images: channels, height, width
/// [Conv2D(6, 5, Activation.ReLU)]
/// [MaxPool2D(2)]
/// [Dense(10)]
/// public partial class MyCnn;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Declares a network reading <paramref name="inputs"/> values per example.</summary>
    /// <param name="inputs">The input width (for example 784 for a 28×28 image). Must be positive.</param>
    public NetworkAttribute(int inputs) => Inputs = inputs;

    /// <summary>
    /// Declares a network reading images: each example is <c>[channels, height, width]</c> row-major (PyTorch's NCHW
    /// without the batch), <c>channels · height · width</c> values.
    /// </summary>
    /// <param name="channels">Channels per pixel (1 for grey, 3 for colour). Must be positive.</param>
    /// <param name="height">Rows of pixels. Must be positive.</param>
    /// <param name="width">Pixels per row. Must be positive.</param>
    public NetworkAttribute(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
        Inputs = unchecked(channels * height * width);
    }

    /// <summary>The input width: values per example.</summary>
    public int Inputs { get; }

    /// <summary>Channels of an image input; 0 when the input is a flat vector.</summary>
    public int Channels { get; }

    /// <summary>Height of an image input; 0 when the input is a flat vector.</summary>
    public int Height { get; }

    /// <summary>Width of an image input; 0 when the input is a flat vector.</summary>
    public int Width { get; }

    /// <summary>
    /// A <c>.safetensors</c> file (as <see cref="SafeTensors.Save"/> writes it) whose values the parameters start from,
    /// compiled into the assembly: list it in the project as <c>&lt;AdditionalFiles Include="model.safetensors" /&gt;</c>.
    /// The build checks every tensor's name and shape against the declaration; no file is opened at run time.
    /// </summary>
    public string? Weights { get; set; }

    /// <summary>The loss the network is trained on. Defaults to <see cref="LossFunction.SoftmaxCrossEntropy"/>.</summary>
    public LossFunction Loss { get; set; } = LossFunction.SoftmaxCrossEntropy;
}
