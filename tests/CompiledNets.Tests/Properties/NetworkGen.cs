using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using CsCheck;

namespace CompiledNets.Tests.Properties;

/// <summary>CsCheck generators of valid network declarations.</summary>
internal static class NetworkGen
{
    /// <summary>Widths around the vector sizes (8 for Vector256, 16 for Vector512) and their multiples, where kernels switch between vector loop and tail.</summary>
    private static readonly int[] s_boundaryWidths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64];

    /// <summary>Every activation (the scalar reference and the kink handling of ValidNetworkCheck know each one).</summary>
    private static readonly Activation[] s_activations = [Activation.None, Activation.ReLU, Activation.Tanh, Activation.Sigmoid, Activation.SELU];

    /// <summary>1..64: half uniform, half at the vector-width boundaries.</summary>
    public static readonly Gen<int> Width = Gen.Frequency((1, Gen.Int[1, 64]), (1, Gen.OneOf(s_boundaryWidths)));

    /// <summary>
    /// A dense layer: any width and activation; usually the default initialization, sometimes an explicit one (truncated
    /// normal σ up to 0.3, so activations stay O(1)) and a bias init in [−0.5, 0.5].
    /// </summary>
    public static readonly Gen<DenseSpec> Dense =
        from units in Width
        from activation in Gen.OneOf(s_activations)
        from explicitActivation in Gen.Bool
        from init in Gen.Int[0, 9]
        from stdDev in Gen.Int[5, 30]
        from writeBias in Gen.Int[0, 3]
        from bias in Gen.Int[-50, 50]
        select new DenseSpec(
            units,
            activation,
            init switch { 6 => WeightInit.HeNormal, 7 => WeightInit.GlorotUniform, 8 => WeightInit.TruncatedNormal, 9 => WeightInit.Auto, _ => null },
            init == 8 ? Literal.Double(stdDev / 100.0) : null,
            writeBias == 0 ? Literal.Double(bias / 100.0) : null,
            writeBias == 0 ? bias / 100.0 : 0,
            explicitActivation);

    /// <summary>A dropout: rate 0 (keeps everything) one time in eight, else 0.05..0.80; either scaling rule.</summary>
    public static readonly Gen<DropoutSpec> Dropout =
        from rate in Gen.Frequency((1, Gen.Const(0)), (7, Gen.Int[5, 80]))
        from scaling in Gen.Enum<DropoutScaling>()
        from explicitScaling in Gen.Bool
        select DropoutSpec.Of(rate / 100.0, scaling, explicitScaling);

    private static readonly Gen<string> s_declaration = Gen.Frequency(
        (6, Gen.Const("public partial class")),
        (1, Gen.Const("internal partial class")),
        (1, Gen.Const("public sealed partial class")),
        (1, Gen.Const("public partial record")),
        (1, Gen.Const("internal sealed partial record")));

    /// <summary>A valid network: half of them multilayer perceptrons (<see cref="Mlp"/>), half convolutional (<see cref="Cnn"/>).</summary>
    public static Gen<NetworkSpec> Valid(string name) => Gen.OneOf(Mlp(name), Cnn(name));

    /// <summary>
    /// A valid multilayer perceptron: 1 to 5 dense layers, a dropout in each allowed place (on the inputs, after any
    /// dense layer, including the last) with probability 0.45, either loss (softmax cross-entropy gets at least 2 outputs).
    /// </summary>
    public static Gen<NetworkSpec> Mlp(string name) =>
        from inputs in Width
        from denseCount in Gen.Int[1, 5]
        from dense in Dense.Array[denseCount]
        from dropoutSlots in Gen.Int[0, 99].Array[denseCount + 1]
        from dropouts in Dropout.Array[denseCount + 1]
        from loss in Gen.Enum<LossFunction>()
        from explicitLoss in Gen.Bool
        from classes in Gen.Int[2, 64]
        from declaration in s_declaration
        from oneList in Gen.Int[0, 4]
        from ns in Gen.Int[0, 5]
        select InNamespace(Build(name, inputs, [], dense, dropoutSlots, dropouts, loss, explicitLoss, classes, declaration, oneList == 0), ns);

    /// <summary>File-scoped (usually), block-scoped nested, or the global namespace.</summary>
    private static NetworkSpec InNamespace(NetworkSpec spec, int ns) => spec with
    {
        Namespace = ns switch { 4 => "PropertyNets.Block.Scoped", 5 => null, _ => "PropertyNets" },
        BlockNamespace = ns == 4,
    };

    /// <param name="image">Layers that go first (the image part of a convolutional network), or none.</param>
    private static NetworkSpec Build(string name, int inputs, LayerSpec[] image, DenseSpec[] dense, int[] dropoutSlots, DropoutSpec[] dropouts,
        LossFunction loss, bool explicitLoss, int classes, string declaration, bool oneList)
    {
        if (loss == LossFunction.SoftmaxCrossEntropy && dense[^1].Units == 1)
            dense[^1] = dense[^1] with { Units = classes };
        var layers = ImmutableArray.CreateBuilder<LayerSpec>();
        layers.AddRange(image);
        for (int slot = 0; slot <= dense.Length; slot++)
        {
            if (slot > 0) layers.Add(dense[slot - 1]);
            // Slot 0 is the input (an image part ends with its own dropout choice, so no second one there).
            if (dropoutSlots[slot] < 45 && (slot > 0 || image.Length == 0)) layers.Add(dropouts[slot]);
        }
        return new NetworkSpec(name, inputs, loss, explicitLoss, layers.ToImmutable())
        {
            Declaration = declaration,
            OneAttributeList = oneList,
        };
    }

    // ---- Convolutional networks -------------------------------------------------------------------------------------

    /// <summary>The random choices for one image layer, adapted to the shape it reads by <see cref="Cnn"/>.</summary>
    private sealed record ImageChoice(bool Pool, Conv2DSpec Conv, int PoolSize, int PoolStride, bool WritePoolStride, int DropoutKind, DropoutFamilySpec Dropout);

    /// <summary>
    /// A convolution: 1 to 5 filters, kernel 1 to 4, stride 1 to 3 (each written out now and then even at its default),
    /// either padding, the activations of <see cref="Dense"/>, the init settings as on <see cref="Dense"/>.
    /// </summary>
    public static readonly Gen<Conv2DSpec> Conv =
        from filters in Gen.Int[1, 5]
        from kernel in Gen.Int[1, 4]
        from stride in Gen.Frequency((3, Gen.Const(1)), (2, Gen.Int[2, 3]))
        from same in Gen.Bool
        from activation in Gen.OneOf(s_activations)
        from explicitFlags in Gen.Int[0, 7]
        from init in Gen.Int[0, 9]
        from stdDev in Gen.Int[5, 30]
        from writeBias in Gen.Int[0, 3]
        from bias in Gen.Int[-50, 50]
        select new Conv2DSpec(filters, kernel, activation, stride, same ? Padding.Same : Padding.Valid,
            ExplicitActivation: (explicitFlags & 1) != 0, ExplicitStride: (explicitFlags & 2) != 0, ExplicitPadding: (explicitFlags & 4) != 0,
            WeightInit: init switch { 6 => WeightInit.HeNormal, 7 => WeightInit.GlorotUniform, 8 => WeightInit.TruncatedNormal, 9 => WeightInit.Auto, _ => null },
            WeightStdDev: init == 8 ? Literal.Double(stdDev / 100.0) : null,
            BiasInit: writeBias == 0 ? Literal.Double(bias / 100.0) : null);

    /// <summary>A spatial dropout: rates as <see cref="Dropout"/>, either scaling.</summary>
    public static readonly Gen<SpatialDropoutSpec> SpatialDropout =
        from dropout in Dropout
        select SpatialDropoutSpec.Of(dropout.RateValue, dropout.Scaling, dropout.ExplicitScaling);

    private static readonly Gen<ImageChoice> s_imageChoice =
        from pool in Gen.Int[0, 2]
        from conv in Conv
        from poolSize in Gen.Int[1, 3]
        from poolStride in Gen.Int[1, 3]
        from writePoolStride in Gen.Bool
        from dropoutKind in Gen.Int[0, 3]
        from spatial in SpatialDropout
        from element in Dropout
        select new ImageChoice(pool == 0, conv, poolSize, poolStride, writePoolStride, dropoutKind,
            dropoutKind == 1 ? spatial : element);

    /// <summary>Dense layers after the image part: few and narrow, so that a flattened image times their width stays small.</summary>
    private static readonly Gen<DenseSpec> s_cnnDense =
        from dense in Dense
        from units in Gen.Int[1, 12]
        select dense with { Units = units };

    /// <summary>
    /// A valid convolutional network: a random image (1 to 3 channels, 3 to 12 rows and columns), maybe a dropout on it,
    /// then 0 to 3 image layers, each a Conv2D (two in three) or a MaxPool2D (window 1 to 3, stride 1 to 3, so windows
    /// may overlap or leave gaps; the stride written or left to default to the window), each followed by nothing (half),
    /// a SpatialDropout or a per-element Dropout; then 1 to 3 Dense layers as in <see cref="Mlp"/> (narrower), either loss.
    /// Shapes are computed while generating: a Valid kernel or a window larger than the image it reads shrinks to fit
    /// (a Same kernel may be larger than its input: that is valid).
    /// </summary>
    public static Gen<NetworkSpec> Cnn(string name) =>
        from channels in Gen.Int[1, 3]
        from height in Gen.Int[3, 12]
        from width in Gen.Int[3, 12]
        from inputDropout in Gen.Int[0, 4]
        from dropout in Dropout
        from imageCount in Gen.Frequency((1, Gen.Const(0)), (3, Gen.Int[1, 3]))
        from choices in s_imageChoice.Array[imageCount]
        from denseCount in Gen.Int[1, 3]
        from dense in s_cnnDense.Array[denseCount]
        from dropoutSlots in Gen.Int[0, 99].Array[denseCount + 1]
        from dropouts in Dropout.Array[denseCount + 1]
        from loss in Gen.Enum<LossFunction>()
        from explicitLoss in Gen.Bool
        from classes in Gen.Int[2, 10]
        from declaration in s_declaration
        from oneList in Gen.Int[0, 4]
        from ns in Gen.Int[0, 5]
        select InNamespace(Build(name, 0, ImageLayers(ExampleShape.Image(channels, height, width), inputDropout == 0 ? dropout : null, choices),
            dense, dropoutSlots, dropouts, loss, explicitLoss, classes, declaration, oneList == 0) with { Image = new ImageSize(channels, height, width) }, ns);

    private static LayerSpec[] ImageLayers(ExampleShape shape, DropoutSpec? inputDropout, ImageChoice[] choices)
    {
        var layers = new List<LayerSpec>();
        if (inputDropout is not null) layers.Add(inputDropout);
        foreach (ImageChoice choice in choices)
        {
            int side = Math.Min(shape.Height, shape.Width);
            LayerSpec layer = choice.Pool
                ? new MaxPool2DSpec(Math.Min(choice.PoolSize, side), choice.WritePoolStride ? choice.PoolStride : null)
                : choice.Conv.Padding == Padding.Valid && choice.Conv.KernelSize > side
                    ? choice.Conv with { KernelSize = side }
                    : choice.Conv;
            layers.Add(layer);
            shape = layer.OutputShape(shape);
            if (choice.DropoutKind is 1 or 2) layers.Add(choice.Dropout);
        }
        return [.. layers];
    }
}
