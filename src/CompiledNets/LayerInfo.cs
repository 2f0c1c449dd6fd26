using System;
using System.Collections.Generic;

namespace CompiledNets;

/// <summary>
/// One declared layer of a generated network, as <see cref="ICompiledNetwork.Layers"/> lists it: its kind, the shapes
/// it reads and writes, its activation or dropout settings and its parameter tensors.
/// </summary>
public sealed class LayerInfo
{
    /// <summary>Describes a layer (the generated code creates these; every argument is checked).</summary>
    /// <param name="name">Its name in the network, e.g. <c>conv1</c>, <c>dense2</c>, <c>dropout1</c>.</param>
    /// <param name="kind">The attribute that declared it without the suffix, e.g. <c>Conv2D</c>.</param>
    /// <param name="inputShape">One example's input: [channels, height, width] for an image, [width] for a vector.</param>
    /// <param name="outputShape">One example's output, in the same form.</param>
    /// <param name="details">Its settings in words (kernel, stride, padding, window), or an empty string.</param>
    /// <param name="activation">Its activation (<see cref="Activation.None"/> for layers without one).</param>
    /// <param name="dropoutRate">Its drop probability for a dropout-family layer, otherwise 0.</param>
    /// <param name="scaling">Its dropout scaling rule (meaningful only for dropout-family layers).</param>
    /// <param name="window">Side of a convolution's kernel or a pooling window; 0 for other layers.</param>
    /// <param name="stride">Step between windows; 0 for layers without windows.</param>
    /// <param name="padding">Zero padding of a convolution as [top, left, bottom, right]; null for none.</param>
    /// <param name="parameters">Its parameter tensors in <see cref="ICompiledNetwork.Parameters"/>, in order.</param>
    public LayerInfo(string name, string kind, int[] inputShape, int[] outputShape, string details,
        Activation activation = Activation.None, double dropoutRate = 0, DropoutScaling scaling = DropoutScaling.AtInference,
        int window = 0, int stride = 0, int[]? padding = null, params ParameterTensor[] parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(outputShape);
        ArgumentNullException.ThrowIfNull(details);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(dropoutRate >= 0 && dropoutRate < 1))
            throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "A drop probability is in [0, 1).");
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        ArgumentOutOfRangeException.ThrowIfNegative(stride);
        if (padding is not null && padding.Length != 4)
            throw new ArgumentException("Padding is [top, left, bottom, right].", nameof(padding));
        Name = name;
        Kind = kind;
        Window = window;
        Stride = stride;
        Padding = Array.AsReadOnly(padding is null ? new int[4] : (int[])padding.Clone());
        InputShape = Array.AsReadOnly((int[])inputShape.Clone());
        OutputShape = Array.AsReadOnly((int[])outputShape.Clone());
        Details = details;
        Activation = activation;
        DropoutRate = dropoutRate;
        Scaling = scaling;
        Parameters = Array.AsReadOnly((ParameterTensor[])parameters.Clone());
        foreach (ParameterTensor tensor in parameters)
            ParameterCount += tensor.Length;
    }

    /// <summary>Its name in the network, e.g. <c>conv1</c>.</summary>
    public string Name { get; }

    /// <summary>The attribute that declared it without the suffix, e.g. <c>Conv2D</c>, <c>Dense</c>, <c>SpatialDropout</c>.</summary>
    public string Kind { get; }

    /// <summary>One example's input: [channels, height, width] for an image, [width] for a vector.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>One example's output: [channels, height, width] for an image, [width] for a vector.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>Its settings in words (kernel, stride, padding, window), or an empty string.</summary>
    public string Details { get; }

    /// <summary>Its activation (<see cref="Activation.None"/> for layers without one).</summary>
    public Activation Activation { get; }

    /// <summary>Side of a convolution's kernel or a pooling window; 0 for other layers.</summary>
    public int Window { get; }

    /// <summary>Step between windows; 0 for layers without windows.</summary>
    public int Stride { get; }

    /// <summary>Zero padding of a convolution as [top, left, bottom, right] (all 0 for every other layer).</summary>
    public IReadOnlyList<int> Padding { get; }

    /// <summary>Its drop probability for a dropout-family layer, otherwise 0.</summary>
    public double DropoutRate { get; }

    /// <summary>Its dropout scaling rule (meaningful only for dropout-family layers).</summary>
    public DropoutScaling Scaling { get; }

    /// <summary>Its parameter tensors in <see cref="ICompiledNetwork.Parameters"/>, in order (empty for layers without parameters).</summary>
    public IReadOnlyList<ParameterTensor> Parameters { get; }

    /// <summary>The number of parameters it has.</summary>
    public int ParameterCount { get; }

    /// <summary>The DropConnect drop probability of a Dense layer (each weight dropped per example while training), otherwise 0.</summary>
    public double DropConnectRate
    {
        get;
        init => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A drop probability is in [0, 1).");
    }

    /// <summary>The inference rule of a Dense layer with DropConnect (meaningful only when <see cref="DropConnectRate"/> is above 0).</summary>
    public DropConnectInference DropConnectInference { get; init; }

    /// <summary>Gaussian samples per unit of moment-matching DropConnect inference; 0 for other layers.</summary>
    public int DropConnectSamples { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}) [{string.Join(", ", InputShape)}] -> [{string.Join(", ", OutputShape)}]";
}
