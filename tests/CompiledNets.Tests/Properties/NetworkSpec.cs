using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CompiledNets.Tests.Properties;

/// <summary>A layer as declared: a <see cref="DenseSpec"/> or a <see cref="DropoutSpec"/>.</summary>
internal abstract record LayerSpec
{
    /// <summary>The attribute as written in the source, without brackets (the text a diagnostic points at).</summary>
    public abstract string Attribute { get; }
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
            if (WeightInit is { } init) text.Append(", WeightInit = ").Append(Literal.Enum(init));
            if (WeightStdDev is not null) text.Append(", WeightStdDev = ").Append(WeightStdDev);
            if (BiasInit is not null) text.Append(", BiasInit = ").Append(BiasInit);
            return text.Append(')').ToString();
        }
    }
}

/// <param name="Rate">The drop probability as C# literal text (so NaN and infinities can be written).</param>
/// <param name="RateValue">Its value.</param>
/// <param name="Scaling">The scaling rule.</param>
/// <param name="ExplicitScaling">Whether <c>Scaling = …</c> is written even when it is the default.</param>
internal sealed record DropoutSpec(string Rate, double RateValue, DropoutScaling Scaling, bool ExplicitScaling) : LayerSpec
{
    public static DropoutSpec Of(double rate, DropoutScaling scaling, bool explicitScaling = false) =>
        new(Literal.Double(rate), rate, scaling, explicitScaling);

    /// <summary>The keep probability p = 1 − rate.</summary>
    public double Keep => 1 - RateValue;

    public bool Inverted => Scaling == DropoutScaling.Inverted;

    public override string Attribute =>
        Scaling != DropoutScaling.AtInference || ExplicitScaling
            ? $"Dropout({Rate}, Scaling = {Literal.Enum(Scaling)})"
            : $"Dropout({Rate})";
}

/// <summary>
/// A network declaration: what the attributes say, plus how the class is declared. <see cref="Render"/> writes it as a
/// C# file; <see cref="Dense"/>, <see cref="ParameterCount"/> and the offsets follow the documented Parameters layout.
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

    public string FullName => (Namespace is null ? "" : Namespace + ".") + (Outer is null ? "" : Outer + "+") + Name;

    public string NetworkAttribute =>
        Loss != LossFunction.SoftmaxCrossEntropy || ExplicitLoss
            ? $"Network({Inputs.ToString(CultureInfo.InvariantCulture)}, Loss = {Literal.Enum(Loss)})"
            : $"Network({Inputs.ToString(CultureInfo.InvariantCulture)})";

    public IEnumerable<DenseSpec> Dense => Layers.OfType<DenseSpec>();

    public IEnumerable<DropoutSpec> Dropouts => Layers.OfType<DropoutSpec>();

    public int Outputs => Dense.Last().Units;

    public int ParameterCount
    {
        get
        {
            int total = 0, width = Inputs;
            foreach (DenseSpec d in Dense)
            {
                total += width * d.Units + d.Units;
                width = d.Units;
            }
            return total;
        }
    }

    /// <summary>The parameter count in 64 bits (for declarations too large for an array).</summary>
    public long ParameterCountLong
    {
        get
        {
            long total = 0, width = Inputs;
            foreach (DenseSpec d in Dense)
            {
                total += width * d.Units + d.Units;
                width = d.Units;
            }
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
        $"{Name}: {Inputs} → {string.Join(" → ", Layers.Select(l => l.Attribute))} ({Loss})";
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

    /// <summary><c>Activation.ReLU</c>, or <c>(Activation)42</c> for an undefined value.</summary>
    public static string Enum<TEnum>(TEnum value) where TEnum : struct, System.Enum =>
        System.Enum.IsDefined(value)
            ? typeof(TEnum).Name + "." + value
            : Convert.ToInt32(value, CultureInfo.InvariantCulture) is var number && number < 0
                ? "(" + typeof(TEnum).Name + ")(" + number.ToString(CultureInfo.InvariantCulture) + ")"
                : "(" + typeof(TEnum).Name + ")" + number.ToString(CultureInfo.InvariantCulture);
}
