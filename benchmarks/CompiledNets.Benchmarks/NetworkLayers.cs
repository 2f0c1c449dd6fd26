using System;
using System.Collections.Generic;
using System.Linq;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>A network's layers in declaration order; <paramref name="Image"/> when its input is an image of <paramref name="Channels"/> × <paramref name="Height"/> × <paramref name="Width"/>.</summary>
internal sealed record NetworkPlan(bool Image, int Channels, int Height, int Width, IReadOnlyList<PlannedLayer> Layers);

/// <summary>One layer of a network as its attributes declare it, with the shapes the generator plans for it.</summary>
internal abstract record PlannedLayer;

/// <summary>A Conv2D layer: its geometry (input, filters, kernel, stride, padding, output) and activation.</summary>
internal sealed record ConvLayer(Conv2DGeometry Geometry, Activation Activation) : PlannedLayer;

/// <summary>A MaxPool2D layer over <paramref name="Channels"/> planes of <paramref name="Height"/> × <paramref name="Width"/>.</summary>
internal sealed record PoolLayer(int Channels, int Height, int Width, int Size, int Stride, int OutHeight, int OutWidth) : PlannedLayer;

/// <summary>A Dropout or SpatialDropout layer: at inference it multiplies by <paramref name="KeepProbability"/> (AtInference scaling) or passes its input on (Inverted).</summary>
internal sealed record DropoutLayer(float KeepProbability, DropoutScaling Scaling, bool Spatial) : PlannedLayer;

/// <summary>A Dense layer of <paramref name="Units"/> reading <paramref name="Inputs"/> values per example (an image layer's output flattened in [C, H, W] order).</summary>
internal sealed record DenseLayer(int Inputs, int Units, Activation Activation) : PlannedLayer;

/// <summary>
/// The layers of a network class, read from its attributes (<see cref="NetworkAttribute"/>, then the layer attributes in
/// declaration order, as the compiler emits them) with the shapes DESIGN.md gives: Valid and Same padding as TensorFlow's,
/// pooling without padding. Each Conv2D and Dense is checked against the network's <see cref="ICompiledNetwork.ParameterTensors"/>
/// in order, so a declaration read in another order than the generator's, or a shape rule applied differently, throws.
/// The ONNX peer's graph and the FLOP counts of the tables are built from this list.
/// </summary>
internal static class NetworkLayers
{
    public static NetworkPlan Of(ICompiledNetwork network)
    {
        Type type = network.GetType();
        var declared = (NetworkAttribute)Attribute.GetCustomAttribute(type, typeof(NetworkAttribute))!;
        bool image = declared.Channels > 0;
        int c = image ? declared.Channels : declared.Inputs, h = image ? declared.Height : 1, w = image ? declared.Width : 1;
        bool flat = !image;
        var plan = (Image: image, C: c, H: h, W: w);
        var layers = new List<PlannedLayer>();
        foreach (object attribute in type.GetCustomAttributes(inherit: false))
        {
            switch (attribute)
            {
                case Conv2DAttribute conv:
                    var geometry = conv.Padding == Padding.Same
                        ? Conv2DGeometry.Same(c, h, w, conv.Filters, conv.KernelSize, conv.Stride)
                        : Conv2DGeometry.Valid(c, h, w, conv.Filters, conv.KernelSize, conv.Stride);
                    layers.Add(new ConvLayer(geometry, conv.Activation));
                    (c, h, w) = (geometry.Filters, geometry.OutHeight, geometry.OutWidth);
                    break;
                case MaxPool2DAttribute pool:
                    int stride = pool.Stride > 0 ? pool.Stride : pool.Size;
                    int oh = (h - pool.Size) / stride + 1, ow = (w - pool.Size) / stride + 1;
                    layers.Add(new PoolLayer(c, h, w, pool.Size, stride, oh, ow));
                    (h, w) = (oh, ow);
                    break;
                case DropoutAttribute dropout:
                    layers.Add(new DropoutLayer((float)(1 - dropout.Rate), dropout.Scaling, Spatial: false));
                    break;
                case SpatialDropoutAttribute spatial:
                    layers.Add(new DropoutLayer((float)(1 - spatial.Rate), spatial.Scaling, Spatial: true));
                    break;
                case DenseAttribute dense:
                    int inputs = flat ? c : c * h * w;
                    layers.Add(new DenseLayer(inputs, dense.Units, dense.Activation));
                    (c, h, w, flat) = (dense.Units, 1, 1, true);
                    break;
            }
        }
        Check(network, layers);
        return new NetworkPlan(plan.Image, plan.C, plan.H, plan.W, layers);
    }

    /// <summary>Multiply-adds of the products of one example's forward pass (convolutions and Dense layers).</summary>
    public static long MultiplyAdds(PlannedLayer layer) => layer switch
    {
        ConvLayer conv => conv.Geometry.MultiplyAddsPerExample,
        DenseLayer dense => (long)dense.Inputs * dense.Units,
        _ => 0,
    };

    /// <summary>
    /// The dense-equivalent FLOPs of the products of a batch: <c>2 · multiply-adds · batch</c> for the forward pass; for
    /// a train step also the weight gradients and the input gradients of every layer but the first (none is needed there).
    /// </summary>
    public static double DenseFlops(IReadOnlyList<PlannedLayer> layers, int batch, bool training)
    {
        double flops = 0;
        bool first = true;
        foreach (PlannedLayer layer in layers)
        {
            long multiplyAdds = MultiplyAdds(layer);
            if (multiplyAdds == 0) continue;
            double product = 2.0 * batch * multiplyAdds;
            flops += product;                                  // forward
            if (training) flops += product;                    // weight gradient
            if (training && !first) flops += product;          // input gradient
            first = false;
        }
        return flops;
    }

    private static void Check(ICompiledNetwork network, List<PlannedLayer> layers)
    {
        IReadOnlyList<ParameterTensor> tensors = network.ParameterTensors;
        var withWeights = layers.Where(l => l is ConvLayer or DenseLayer).ToList();
        if (tensors.Count != 2 * withWeights.Count)
            throw new InvalidOperationException($"{network.GetType().Name}: {withWeights.Count} layers with weights read from the attributes, {tensors.Count} parameter tensors.");
        for (int i = 0; i < withWeights.Count; i++)
        {
            int[] expected = withWeights[i] switch
            {
                ConvLayer conv => [conv.Geometry.Filters, conv.Geometry.Channels, conv.Geometry.KernelSize, conv.Geometry.KernelSize],
                DenseLayer dense => [dense.Inputs, dense.Units],
                _ => throw new InvalidOperationException(),
            };
            ParameterTensor weight = tensors[2 * i];
            if (!weight.Shape.SequenceEqual(expected))
                throw new InvalidOperationException(
                    $"{network.GetType().Name}: {weight.Name} is [{string.Join(", ", weight.Shape)}], the attributes give [{string.Join(", ", expected)}].");
        }
    }
}
