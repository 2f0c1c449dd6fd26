using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CompiledNets.Serialization;

/// <summary>
/// A network's inference computation as ONNX sees it, derived from <see cref="ICompiledNetwork.Layers"/>: a chain of
/// steps (a Dense is a Gemm, a Conv2D a Conv, an activation its own node, an AtInference dropout a Mul by its keep
/// probability, an Inverted dropout and the noise layers (Gaussian dropout and noise, alpha dropout, concrete dropout) nothing), with every number the graph needs (kernels, strides, pads, windows).
/// <see cref="OnnxWriter"/> writes it; <see cref="OnnxReader"/> checks a model against it.
/// </summary>
internal sealed class OnnxArchitecture
{
    private OnnxArchitecture(int[] inputShape, int outputSize, bool softmax, List<OnnxStep> steps)
    {
        InputShape = inputShape;
        OutputSize = outputSize;
        Softmax = softmax;
        Steps = steps;
    }

    /// <summary>One example's input: [C, H, W] for an image network, [N] otherwise.</summary>
    public int[] InputShape { get; }

    /// <summary>Values per output example.</summary>
    public int OutputSize { get; }

    /// <summary>True for a classifier: <c>Predict</c> ends with a softmax, so the saved graph does too.</summary>
    public bool Softmax { get; }

    /// <summary>The computation in order.</summary>
    public IReadOnlyList<OnnxStep> Steps { get; }

    public int InputCount => Product(InputShape);

    /// <summary>Reads the layer list; a layer ONNX support does not cover throws <see cref="NotSupportedException"/>.</summary>
    public static OnnxArchitecture Of(ICompiledNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        IReadOnlyList<LayerInfo> layers = network.Layers;
        int[] input = layers.Count > 0 ? [.. layers[0].InputShape] : [network.InputSize];
        if (Product(input) != network.InputSize)
            throw Unsupported(network, $"its first layer reads [{Join(input)}], not its {network.InputSize} inputs");
        var steps = new List<OnnxStep>();
        foreach (LayerInfo layer in layers)
        {
            switch (layer.Kind)
            {
                case "Dense":
                    steps.Add(Dense(network, layer));
                    AddActivation(network, layer, steps);
                    break;
                case "Conv2D":
                    steps.Add(Conv(network, layer));
                    AddActivation(network, layer, steps);
                    break;
                case "MaxPool2D":
                    steps.Add(MaxPool(network, layer));
                    break;
                case "Dropout":
                case "SpatialDropout":
                    // Inverted: identity at inference, so no node. AtInference: times p = 1 - rate, as Predict does.
                    float keep = (float)(1 - layer.DropoutRate);
                    if (layer.Scaling == DropoutScaling.AtInference && keep != 1f)
                        steps.Add(new ScaleStep(layer, keep));
                    break;
                case "GaussianDropout":
                case "GaussianNoise":
                case "AlphaDropout":
                case "ConcreteDropout":
                    // Noise while training only: the identity at inference, so no node (a concrete dropout's learned logit
                    // has no use at inference and is neither saved nor loaded).
                    break;
                default:
                    throw Unsupported(network, $"layer {layer.Name} is a {layer.Kind}, which ONNX export and import do not cover yet");
            }
        }
        return new OnnxArchitecture(input, network.OutputSize, network.LossFunction == LossFunction.SoftmaxCrossEntropy, steps);
    }

    private static DenseStep Dense(ICompiledNetwork network, LayerInfo layer)
    {
        (ParameterTensor weight, ParameterTensor bias) = WeightAndBias(network, layer, 2);
        int inputs = Product(layer.InputShape), units = Product(layer.OutputShape);
        if (layer.OutputShape.Count != 1 || weight.Shape[0] != inputs || weight.Shape[1] != units || bias.Shape[0] != units)
            throw Unsupported(network, $"dense layer {layer.Name} reads [{Join(layer.InputShape)}] and writes [{Join(layer.OutputShape)}] " +
                                       $"with weights [{Join(weight.Shape)}] and bias [{Join(bias.Shape)}]");
        float alpha = 1f;
        if (layer.DropConnectRate > 0)
        {
            if (layer.DropConnectInference != DropConnectInference.MeanWeight)
                throw Unsupported(network, $"dense layer {layer.Name} has DropConnect {layer.DropConnectRate.ToString("R", CultureInfo.InvariantCulture)} with " +
                                           $"{layer.DropConnectInference} inference, which has no ONNX equivalent (it averages the activation over Gaussian " +
                                           "samples of the pre-activation); declare it with DropConnectInference = DropConnectInference.MeanWeight " +
                                           "to export it (a Gemm with alpha = p)");
            alpha = (float)(1 - layer.DropConnectRate);
        }
        return new DenseStep(layer, weight, bias, inputs, units, alpha);
    }

    private static ConvStep Conv(ICompiledNetwork network, LayerInfo layer)
    {
        (ParameterTensor weight, ParameterTensor bias) = WeightAndBias(network, layer, 4);
        if (layer.InputShape.Count != 3 || layer.OutputShape.Count != 3)
            throw Unsupported(network, $"convolution {layer.Name} maps [{Join(layer.InputShape)}] to [{Join(layer.OutputShape)}], not images");
        // "{k}×{k} kernel, stride {s}, {same|valid} padding", as the generator writes it.
        string[] parts = layer.Details.Split(", ");
        int kernel = weight.Shape[2];
        if (parts.Length != 3 || parts[0] != $"{kernel}×{kernel} kernel" || !TryNumberAfter(parts[1], "stride ", out int stride)
            || parts[2] is not ("same padding" or "valid padding"))
            throw Unsupported(network, $"convolution {layer.Name} with weights [{Join(weight.Shape)}] has settings \"{layer.Details}\", " +
                                       "not \"k×k kernel, stride s, same|valid padding\"");
        bool same = parts[2] == "same padding";
        int channels = layer.InputShape[0], filters = layer.OutputShape[0];
        int[] pads = new int[4]; // ONNX order: top, left, bottom, right
        int[] output = [filters, 0, 0];
        for (int axis = 0; axis < 2; axis++)
        {
            int size = layer.InputShape[1 + axis];
            if (same)
            {
                // TensorFlow: out = ceil(in / s); total = max((out - 1)·s + k - in, 0), the odd one at the bottom/right.
                output[1 + axis] = (size + stride - 1) / stride;
                int total = Math.Max((output[1 + axis] - 1) * stride + kernel - size, 0);
                pads[axis] = total / 2;
                pads[2 + axis] = total - total / 2;
            }
            else
            {
                output[1 + axis] = size < kernel ? 0 : (size - kernel) / stride + 1;
            }
        }
        if (weight.Shape[0] != filters || weight.Shape[1] != channels || weight.Shape[3] != kernel || bias.Shape[0] != filters
            || !output.SequenceEqual(layer.OutputShape))
            throw Unsupported(network, $"convolution {layer.Name} (\"{layer.Details}\", weights [{Join(weight.Shape)}]) maps " +
                                       $"[{Join(layer.InputShape)}] to [{Join(layer.OutputShape)}], where these settings give [{Join(output)}]");
        return new ConvStep(layer, weight, bias, channels, filters, kernel, stride, pads);
    }

    private static MaxPoolStep MaxPool(ICompiledNetwork network, LayerInfo layer)
    {
        // "{size}×{size} windows, stride {s}", as the generator writes it.
        string[] parts = layer.Details.Split(", ");
        int window = 0, stride = 0;
        bool parsed = parts.Length == 2 && TryNumberAfter(parts[1], "stride ", out stride)
            && parts[0].EndsWith(" windows", StringComparison.Ordinal)
            && parts[0][..^" windows".Length].Split('×') is [string a, string b] && a == b
            && int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out window) && window > 0;
        if (!parsed || layer.InputShape.Count != 3 || layer.OutputShape.Count != 3 || layer.Parameters.Count != 0)
            throw Unsupported(network, $"max pooling {layer.Name} has settings \"{layer.Details}\", not \"k×k windows, stride s\"");
        int[] output = [layer.InputShape[0], 0, 0];
        for (int axis = 1; axis < 3; axis++)
            output[axis] = layer.InputShape[axis] < window ? 0 : (layer.InputShape[axis] - window) / stride + 1;
        if (!output.SequenceEqual(layer.OutputShape))
            throw Unsupported(network, $"max pooling {layer.Name} (\"{layer.Details}\") maps [{Join(layer.InputShape)}] to " +
                                       $"[{Join(layer.OutputShape)}], where these settings give [{Join(output)}]");
        return new MaxPoolStep(layer, window, stride);
    }

    private static void AddActivation(ICompiledNetwork network, LayerInfo layer, List<OnnxStep> steps)
    {
        string? op = OnnxActivation(layer.Activation);
        if (op is null)
            throw Unsupported(network, $"layer {layer.Name} has activation {layer.Activation}, which ONNX export and import do not cover yet");
        if (op.Length > 0)
            steps.Add(new ActivationStep(layer, op));
    }

    /// <summary>The ONNX operator of an activation: "" for none, null for one not covered.</summary>
    public static string? OnnxActivation(Activation activation) => activation switch
    {
        Activation.None => "",
        Activation.ReLU => "Relu",
        Activation.Tanh => "Tanh",
        Activation.Sigmoid => "Sigmoid",
        // ONNX's default alpha and gamma are SELU's α and λ, as PyTorch and CompiledNets use them.
        Activation.SELU => "Selu",
        _ => null,
    };

    private static (ParameterTensor Weight, ParameterTensor Bias) WeightAndBias(ICompiledNetwork network, LayerInfo layer, int weightRank)
    {
        if (layer.Parameters is not [ParameterTensor weight, ParameterTensor bias] || weight.Shape.Count != weightRank || bias.Shape.Count != 1)
            throw Unsupported(network, $"layer {layer.Name} has tensors [{string.Join("; ", layer.Parameters)}], not a rank-{weightRank} " +
                                       "weight and a bias");
        if ((long)weight.Offset + weight.Length > network.ParameterCount || (long)bias.Offset + bias.Length > network.ParameterCount)
            throw Unsupported(network, $"layer {layer.Name}'s tensors lie outside its {network.ParameterCount} parameters");
        return (weight, bias);
    }

    private static bool TryNumberAfter(string text, string prefix, out int value)
    {
        value = 0;
        return text.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
    }

    private static NotSupportedException Unsupported(ICompiledNetwork network, string what) =>
        new($"{network.GetType().Name} cannot be written to or read from ONNX: {what}.");

    public static int Product(IEnumerable<int> shape)
    {
        int product = 1;
        foreach (int dimension in shape) product *= dimension;
        return product;
    }

    public static string Join<T>(IEnumerable<T> values) => string.Join(", ", values);
}

/// <summary>One step of <see cref="OnnxArchitecture"/>; <see cref="Layer"/> is the declared layer it comes from.</summary>
internal abstract record OnnxStep(LayerInfo Layer)
{
    /// <summary>The step in words, for error messages.</summary>
    public abstract string Describe();
}

/// <summary>y = x·W + b with W [in, out] (our layout).</summary>
/// <remarks>Alpha is the Gemm's alpha: 1, or the keep probability p of mean-weight DropConnect (y = p · x·W + b).</remarks>
internal sealed record DenseStep(LayerInfo Layer, ParameterTensor Weight, ParameterTensor Bias, int Inputs, int Units, float Alpha = 1f) : OnnxStep(Layer)
{
    public override string Describe() => $"layer {Layer.Name} (Dense {Inputs} → {Units}: a Gemm, or a MatMul and an Add)";
}

/// <summary>A convolution with weights [F, C, k, k] and ONNX pads [top, left, bottom, right].</summary>
internal sealed record ConvStep(LayerInfo Layer, ParameterTensor Weight, ParameterTensor Bias, int Channels, int Filters,
    int Kernel, int Stride, int[] Pads) : OnnxStep(Layer)
{
    public override string Describe() =>
        $"layer {Layer.Name} (Conv2D {Filters}×{Channels}×{Kernel}×{Kernel}, stride {Stride}, pads [{OnnxArchitecture.Join(Pads)}]: a Conv)";
}

/// <summary>Max pooling, no padding, floor rounding.</summary>
internal sealed record MaxPoolStep(LayerInfo Layer, int Window, int Stride) : OnnxStep(Layer)
{
    public override string Describe() => $"layer {Layer.Name} (MaxPool2D {Window}×{Window}, stride {Stride}: a MaxPool)";
}

/// <summary>The activation of <see cref="OnnxStep.Layer"/>, as ONNX operator <see cref="Op"/>.</summary>
internal sealed record ActivationStep(LayerInfo Layer, string Op) : OnnxStep(Layer)
{
    public override string Describe() => $"the {Layer.Activation} activation of layer {Layer.Name} (a {Op})";
}

/// <summary>AtInference dropout: every value times the keep probability.</summary>
internal sealed record ScaleStep(LayerInfo Layer, float Keep) : OnnxStep(Layer)
{
    public override string Describe() =>
        $"layer {Layer.Name} ({Layer.Kind}({Layer.DropoutRate.ToString(CultureInfo.InvariantCulture)}) with AtInference scaling: " +
        $"a Mul by its keep probability {Keep.ToString(CultureInfo.InvariantCulture)})";
}
