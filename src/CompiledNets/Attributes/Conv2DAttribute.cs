using System;

namespace CompiledNets;

/// <summary>
/// A 2-D convolution over an image: <c>filters</c> kernels of <c>kernelSize × kernelSize</c> over every input channel,
/// then a bias per filter and the activation. Weights <c>[filters, inChannels, k, k]</c> (PyTorch's <c>Conv2d</c> layout),
/// then bias <c>[filters]</c>; the output is an image of <c>filters</c> channels.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
{
    /// <summary>Declares a convolutional layer.</summary>
    /// <param name="filters">Output channels. Must be positive.</param>
    /// <param name="kernelSize">Side of the square kernel. Must be positive and fit the (padded) input.</param>
    /// <param name="activation">The nonlinearity applied to the outputs.</param>
    public Conv2DAttribute(int filters, int kernelSize, Activation activation = Activation.None)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Side of the square kernel.</summary>
    public int KernelSize { get; }

    /// <summary>The nonlinearity applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>Step between windows, in both directions (default 1). Must be positive.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>How the border is treated (default <see cref="CompiledNets.Padding.Valid"/>).</summary>
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>How the weights are initialized. Defaults to <see cref="CompiledNets.WeightInit.Auto"/>.</summary>
    public WeightInit WeightInit { get; set; } = WeightInit.Auto;

    /// <summary>The standard deviation for <see cref="CompiledNets.WeightInit.TruncatedNormal"/> (default 0.1).</summary>
    public double WeightStdDev { get; set; } = 0.1;

    /// <summary>The value every bias starts at (default 0). Must be finite.</summary>
    public double BiasInit { get; set; }

    /// <summary>
    /// The max-norm constraint (Keras' <c>MaxNorm(c, axis=[0, 1, 2])</c> on a channels-last kernel): when set, after every
    /// optimizer step in <c>TrainStep</c> each filter's weights (its [channels, k, k] slice, a row of
    /// <c>conv{n}.weight</c>) whose L2 norm exceeds <c>c</c> are multiplied by <c>c / (1e-7 + norm)</c>, Keras' factor;
    /// filters within the bound are left exactly as they are (see <see cref="Kernels.MaxNorm"/>). The bias is not
    /// constrained. Not set (0): no constraint. A value that is not positive and finite (as a float) is the compile-time
    /// error CNN0028.
    /// </summary>
    public double MaxNorm { get; set; }
}
