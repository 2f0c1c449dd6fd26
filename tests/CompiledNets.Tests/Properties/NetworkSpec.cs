using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// A layer as declared: a <see cref="DenseSpec"/>, a <see cref="Conv2DSpec"/>, a <see cref="MaxPool2DSpec"/>, or one of
/// the dropout family (<see cref="DropoutSpec"/>, <see cref="SpatialDropoutSpec"/>).
/// </summary>
internal abstract record LayerSpec
{
    /// <summary>The attribute as written in the source, without brackets (the text a diagnostic points at).</summary>
    public abstract string Attribute { get; }

    /// <summary>
    /// What one example looks like after this layer, from the contract's formulas (DESIGN.md, "Image layers"). Total for
    /// mutated declarations too (a size below 1 reads as 1, as the generator reads it after reporting it), so that a
    /// mutation can compute shapes of a declaration another mutation already broke.
    /// </summary>
    public virtual ExampleShape OutputShape(ExampleShape input) => input;

    /// <summary>Parameters this layer holds when it reads <paramref name="input"/>.</summary>
    public virtual long ParameterCount(ExampleShape input) => 0;

    /// <summary>Whether the layer is Conv2D or MaxPool2D (reads an image, writes an image).</summary>
    public virtual bool IsImageLayer => false;
}

/// <summary>
/// What one example looks like between two layers: an image of Channels × Height × Width values ([C, H, W] row-major),
/// or a flat vector of Width values.
/// </summary>
internal readonly record struct ExampleShape(int Channels, int Height, int Width, bool IsImage)
{
    public static ExampleShape Flat(int width) => new(1, 1, width, false);

    public static ExampleShape Image(int channels, int height, int width) => new(channels, height, width, true);

    /// <summary>Values per example.</summary>
    public long Size => (long)Channels * Height * Width;

    /// <summary>Pixels per channel.</summary>
    public int Pixels => Height * Width;

    /// <summary>As <see cref="LayerInfo"/> lists it: [C, H, W] for an image, [width] for a vector.</summary>
    public int[] Dimensions => IsImage ? [Channels, Height, Width] : [Width];

    public override string ToString() => IsImage
        ? string.Create(CultureInfo.InvariantCulture, $"{Channels}×{Height}×{Width}")
        : Width.ToString(CultureInfo.InvariantCulture);
}

/// <param name="Units">Outputs of the layer (may be invalid in a mutated declaration).</param>
/// <param name="Activation">The activation; an undefined value is written as a cast.</param>
/// <param name="WeightInit">Written as a named argument when not null.</param>
/// <param name="WeightStdDev">Written as a named argument when not null (C# literal text, so NaN and infinities can be written).</param>
/// <param name="BiasInit">Written as a named argument when not null (C# literal text).</param>
/// <param name="BiasValue">The value of <paramref name="BiasInit"/> as a number, for the reference (0 when not written).</param>
/// <param name="ExplicitActivation">Whether <c>Activation.None</c> is written out.</param>
internal sealed record DenseSpec(int Units, Activation Activation, WeightInit? WeightInit = null,
    string? WeightStdDev = null, string? BiasInit = null, double BiasValue = 0, bool ExplicitActivation = false) : LayerSpec
{
    public override string Attribute
    {
        get
        {
            var text = new StringBuilder("Dense(").Append(Units.ToString(CultureInfo.InvariantCulture));
            if (Activation != Activation.None || ExplicitActivation)
                text.Append(", ").Append(Literal.Enum(Activation));
            return Literal.AppendInit(text, WeightInit, WeightStdDev, BiasInit).Append(')').ToString();
        }
    }

    public override ExampleShape OutputShape(ExampleShape input) => ExampleShape.Flat(Math.Max(Units, 1));

    public override long ParameterCount(ExampleShape input) => input.Size * Math.Max(Units, 1) + Math.Max(Units, 1);
}

/// <summary>[Conv2D(filters, kernelSize, activation, Stride = , Padding = , init settings)].</summary>
/// <param name="Filters">Output channels (may be invalid in a mutated declaration).</param>
/// <param name="KernelSize">Side of the square kernel.</param>
/// <param name="Activation">The activation; an undefined value is written as a cast.</param>
/// <param name="Stride">Step between windows; written when not 1 or when <paramref name="ExplicitStride"/>.</param>
/// <param name="Padding">Valid or Same; written when Same or when <paramref name="ExplicitPadding"/> (an undefined value as a cast).</param>
internal sealed record Conv2DSpec(int Filters, int KernelSize, Activation Activation, int Stride = 1, Padding Padding = Padding.Valid,
    bool ExplicitActivation = false, bool ExplicitStride = false, bool ExplicitPadding = false,
    WeightInit? WeightInit = null, string? WeightStdDev = null, string? BiasInit = null) : LayerSpec
{
    public override string Attribute
    {
        get
        {
            var text = new StringBuilder("Conv2D(").Append(Filters.ToString(CultureInfo.InvariantCulture))
                .Append(", ").Append(KernelSize.ToString(CultureInfo.InvariantCulture));
            if (Activation != Activation.None || ExplicitActivation)
                text.Append(", ").Append(Literal.Enum(Activation));
            if (Stride != 1 || ExplicitStride) text.Append(", Stride = ").Append(Stride.ToString(CultureInfo.InvariantCulture));
            if (Padding != Padding.Valid || ExplicitPadding) text.Append(", Padding = ").Append(Literal.Enum(Padding));
            return Literal.AppendInit(text, WeightInit, WeightStdDev, BiasInit).Append(')').ToString();
        }
    }

    public override bool IsImageLayer => true;

    private int K => Math.Max(KernelSize, 1);
    private int S => Math.Max(Stride, 1);
    private bool Same => Padding == Padding.Same;

    /// <summary>Output rows (or columns) for <paramref name="input"/> rows (or columns); 0 or less when the kernel does not fit.</summary>
    public int OutputSide(int input) => Same ? (int)(((long)input + S - 1) / S) : input < K ? 0 : (input - K) / S + 1;

    /// <summary>Zero rows (columns) before the input: half the total Same padding, rounded down (the odd one goes after).</summary>
    public int PaddingBefore(int input) => PaddingTotal(input) / 2;

    /// <summary>TensorFlow's total Same padding max((out − 1) · stride + k − in, 0); 0 for Valid.</summary>
    public int PaddingTotal(int input) => Same ? (int)Math.Max(((long)OutputSide(input) - 1) * S + K - input, 0) : 0;

    public bool Fits(ExampleShape input) => OutputSide(input.Height) >= 1 && OutputSide(input.Width) >= 1;

    public override ExampleShape OutputShape(ExampleShape input) => input.IsImage && Fits(input)
        ? ExampleShape.Image(Math.Max(Filters, 1), OutputSide(input.Height), OutputSide(input.Width))
        : ExampleShape.Image(Math.Max(Filters, 1), 1, 1);

    public override long ParameterCount(ExampleShape input) => (long)Math.Max(Filters, 1) * input.Channels * K * K + Math.Max(Filters, 1);
}

/// <summary>[MaxPool2D(size, Stride = )]; <paramref name="Stride"/> null is not written (the default: the window).</summary>
internal sealed record MaxPool2DSpec(int Size, int? Stride = null) : LayerSpec
{
    public override string Attribute => Stride is { } stride
        ? string.Create(CultureInfo.InvariantCulture, $"MaxPool2D({Size}, Stride = {stride})")
        : string.Create(CultureInfo.InvariantCulture, $"MaxPool2D({Size})");

    public override bool IsImageLayer => true;

    private int K => Math.Max(Size, 1);

    /// <summary>The step between windows: the window when not written (or written as 0, the attribute's default).</summary>
    public int EffectiveStride => Stride is null or 0 ? K : Math.Max(Stride.Value, 1);

    public int OutputSide(int input) => input < K ? 0 : (input - K) / EffectiveStride + 1;

    public bool Fits(ExampleShape input) => OutputSide(input.Height) >= 1 && OutputSide(input.Width) >= 1;

    public override ExampleShape OutputShape(ExampleShape input) => input.IsImage && Fits(input)
        ? ExampleShape.Image(input.Channels, OutputSide(input.Height), OutputSide(input.Width))
        : ExampleShape.Image(input.Channels, 1, 1);
}

/// <summary>The dropout family: a drop probability and a scaling rule, one mask value per unit or per channel.</summary>
/// <param name="Rate">The drop probability as C# literal text (so NaN and infinities can be written).</param>
/// <param name="RateValue">Its value.</param>
/// <param name="Scaling">The scaling rule.</param>
/// <param name="ExplicitScaling">Whether <c>Scaling = …</c> is written even when it is the default.</param>
internal abstract record DropoutFamilySpec(string Rate, double RateValue, DropoutScaling Scaling, bool ExplicitScaling) : LayerSpec
{
    /// <summary>The attribute's name: Dropout or SpatialDropout.</summary>
    protected abstract string Kind { get; }

    /// <summary>The keep probability p = 1 − rate.</summary>
    public double Keep => 1 - RateValue;

    public bool Inverted => Scaling == DropoutScaling.Inverted;

    /// <summary>Mask values per example: one per unit, or (spatial) one per channel.</summary>
    public abstract int MaskWidth(ExampleShape input);

    public override string Attribute =>
        Scaling != DropoutScaling.AtInference || ExplicitScaling
            ? $"{Kind}({Rate}, Scaling = {Literal.Enum(Scaling)})"
            : $"{Kind}({Rate})";
}

/// <summary>[Dropout(rate)]: one mask value per unit (per element after an image layer).</summary>
internal sealed record DropoutSpec(string Rate, double RateValue, DropoutScaling Scaling, bool ExplicitScaling)
    : DropoutFamilySpec(Rate, RateValue, Scaling, ExplicitScaling)
{
    public static DropoutSpec Of(double rate, DropoutScaling scaling, bool explicitScaling = false) =>
        new(Literal.Double(rate), rate, scaling, explicitScaling);

    protected override string Kind => "Dropout";

    public override int MaskWidth(ExampleShape input) => (int)input.Size;
}

/// <summary>[SpatialDropout(rate)]: one mask value per channel; only directly after Conv2D or MaxPool2D.</summary>
internal sealed record SpatialDropoutSpec(string Rate, double RateValue, DropoutScaling Scaling, bool ExplicitScaling)
    : DropoutFamilySpec(Rate, RateValue, Scaling, ExplicitScaling)
{
    public static SpatialDropoutSpec Of(double rate, DropoutScaling scaling, bool explicitScaling = false) =>
        new(Literal.Double(rate), rate, scaling, explicitScaling);

    protected override string Kind => "SpatialDropout";

    public override int MaskWidth(ExampleShape input) => input.Channels;
}

/// <summary>The channels, rows and columns of <c>[Network(c, h, w)]</c> as written (may be invalid in a mutated declaration).</summary>
internal readonly record struct ImageSize(int Channels, int Height, int Width)
{
    /// <summary>Every dimension at least 1 and at most one array of values (what the generator accepts).</summary>
    public bool IsValid => Channels >= 1 && Height >= 1 && Width >= 1 && (long)Channels * Height * Width <= 0x7FFFFFC7;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Channels}, {Height}, {Width}");
}

/// <summary>
/// A network declaration: what the attributes say, plus how the class is declared. <see cref="Render"/> writes it as a
/// C# file; <see cref="Dense"/>, <see cref="ParameterCount"/> and the offsets follow the documented Parameters layout.
/// <see cref="Inputs"/> is the width of a flat input; an image input is <see cref="Image"/> (then Inputs is not used).
/// </summary>
internal sealed record NetworkSpec(
    string Name,
    int Inputs,
    LossFunction Loss,
    bool ExplicitLoss,
    ImmutableArray<LayerSpec> Layers)
{
    /// <summary>The namespace the class is declared in (dotted), or null for the global namespace.</summary>
    public string? Namespace { get; init; } = "PropertyNets";

    /// <summary>Whether the namespace is written as a block (<c>namespace N { … }</c>) rather than file-scoped.</summary>
    public bool BlockNamespace { get; init; }

    /// <summary>"public partial class", "internal sealed partial record", …: how the type is declared.</summary>
    public string Declaration { get; init; } = "public partial class";

    /// <summary>Whether each attribute gets its own brackets, or all share one list.</summary>
    public bool OneAttributeList { get; init; }

    /// <summary>Anything written after the type name (type parameters, a primary constructor), for mutations.</summary>
    public string NameSuffix { get; init; } = "";

    /// <summary>Wraps the declaration in <c>public partial class {Outer} { … }</c> when not null.</summary>
    public string? Outer { get; init; }

    /// <summary>Whether the [Network] attribute is written at all.</summary>
    public bool HasNetworkAttribute { get; init; } = true;

    /// <summary>Layers from this index on go on a second partial declaration of the class.</summary>
    public int? SplitAt { get; init; }

    /// <summary>The image input [Network(c, h, w)], or null for a flat [Network(inputs)].</summary>
    public ImageSize? Image { get; init; }

    /// <summary>
    /// The shape the first layer reads. An invalid image (a mutated declaration) reads as 1×1×1, as the generator reads
    /// it after reporting it.
    /// </summary>
    public ExampleShape InputShape => Image is { } image
        ? image.IsValid ? ExampleShape.Image(image.Channels, image.Height, image.Width) : ExampleShape.Image(1, 1, 1)
        : ExampleShape.Flat(Math.Max(Inputs, 1));

    /// <summary>Values per input example: C·H·W for an image.</summary>
    public int InputSize => (int)InputShape.Size;

    /// <summary>The shape each layer reads, in declaration order, then the network's output shape (one more entry).</summary>
    public ImmutableArray<ExampleShape> Shapes
    {
        get
        {
            var shapes = ImmutableArray.CreateBuilder<ExampleShape>(Layers.Length + 1);
            ExampleShape shape = InputShape;
            foreach (LayerSpec layer in Layers)
            {
                shapes.Add(shape);
                shape = layer.OutputShape(shape);
            }
            shapes.Add(shape);
            return shapes.MoveToImmutable();
        }
    }

    /// <summary>Whether any layer is Conv2D or MaxPool2D.</summary>
    public bool HasImageLayers => Layers.Any(l => l.IsImageLayer);

    public string FullName => (Namespace is null ? "" : Namespace + ".") + (Outer is null ? "" : Outer + "+") + Name;

    private string InputText => Image is { } image ? image.ToString() : Inputs.ToString(CultureInfo.InvariantCulture);

    public string NetworkAttribute =>
        Loss != LossFunction.SoftmaxCrossEntropy || ExplicitLoss
            ? $"Network({InputText}, Loss = {Literal.Enum(Loss)})"
            : $"Network({InputText})";

    public IEnumerable<DenseSpec> Dense => Layers.OfType<DenseSpec>();

    public int Outputs => Dense.Last().Units;

    public int ParameterCount => checked((int)ParameterCountLong);

    /// <summary>The parameter count in 64 bits (for declarations too large for an array).</summary>
    public long ParameterCountLong
    {
        get
        {
            long total = 0;
            ImmutableArray<ExampleShape> shapes = Shapes;
            for (int i = 0; i < Layers.Length; i++)
                total += Layers[i].ParameterCount(shapes[i]);
            return total;
        }
    }

    /// <summary>The C# file declaring this network.</summary>
    public string Render()
    {
        var attributes = new List<string>();
        if (HasNetworkAttribute) attributes.Add(NetworkAttribute);
        int split = SplitAt ?? Layers.Length;
        attributes.AddRange(Layers.Take(split).Select(l => l.Attribute));

        var text = new StringBuilder("using CompiledNets;\n\n");
        string indent = "";
        if (Namespace is not null && !BlockNamespace)
            text.Append("namespace ").Append(Namespace).Append(";\n\n");
        if (Namespace is not null && BlockNamespace)
        {
            text.Append("namespace ").Append(Namespace).Append("\n{\n");
            indent += "    ";
        }
        if (Outer is not null)
        {
            text.Append(indent).Append("public partial class ").Append(Outer).Append('\n').Append(indent).Append("{\n");
            indent += "    ";
        }
        AppendAttributes(text, attributes, indent);
        text.Append(indent).Append(Declaration).Append(' ').Append(Name).Append(NameSuffix).Append(";\n");
        if (split < Layers.Length)
        {
            text.Append('\n');
            AppendAttributes(text, Layers.Skip(split).Select(l => l.Attribute).ToList(), indent);
            text.Append(indent).Append(Declaration).Append(' ').Append(Name).Append(NameSuffix).Append(";\n");
        }
        if (Outer is not null) text.Append(Namespace is not null && BlockNamespace ? "    }\n" : "}\n");
        if (Namespace is not null && BlockNamespace) text.Append("}\n");
        return text.ToString();
    }

    private void AppendAttributes(StringBuilder text, List<string> attributes, string indent)
    {
        if (OneAttributeList && attributes.Count > 0)
            text.Append(indent).Append('[').Append(string.Join(", ", attributes)).Append("]\n");
        else
            foreach (string attribute in attributes)
                text.Append(indent).Append('[').Append(attribute).Append("]\n");
    }

    /// <summary>One line, for failure messages: "Net3: 17 → Dense(33, Activation.Tanh) → … (MeanSquaredError)".</summary>
    public override string ToString() =>
        $"{Name}: {(Image is { } image ? $"{image.Channels}×{image.Height}×{image.Width}" : InputText)} → {string.Join(" → ", Layers.Select(l => l.Attribute))} ({Loss})";
}

/// <summary>C# literal text, culture-invariant.</summary>
internal static class Literal
{
    public static string Double(double value) => value switch
    {
        double.PositiveInfinity => "double.PositiveInfinity",
        double.NegativeInfinity => "double.NegativeInfinity",
        _ when double.IsNaN(value) => "double.NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Appends the named init settings Dense and Conv2D share, those that are written.</summary>
    public static StringBuilder AppendInit(StringBuilder text, WeightInit? init, string? stdDev, string? bias)
    {
        if (init is { } value) text.Append(", WeightInit = ").Append(Enum(value));
        if (stdDev is not null) text.Append(", WeightStdDev = ").Append(stdDev);
        if (bias is not null) text.Append(", BiasInit = ").Append(bias);
        return text;
    }

    /// <summary><c>Activation.ReLU</c>, or <c>(Activation)42</c> for an undefined value.</summary>
    public static string Enum<TEnum>(TEnum value) where TEnum : struct, System.Enum =>
        System.Enum.IsDefined(value)
            ? typeof(TEnum).Name + "." + value
            : Convert.ToInt32(value, CultureInfo.InvariantCulture) is var number && number < 0
                ? "(" + typeof(TEnum).Name + ")(" + number.ToString(CultureInfo.InvariantCulture) + ")"
                : "(" + typeof(TEnum).Name + ")" + number.ToString(CultureInfo.InvariantCulture);
}
