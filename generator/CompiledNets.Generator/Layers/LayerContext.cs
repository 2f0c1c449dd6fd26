using System;
using System.Collections.Generic;
using System.Globalization;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// What a <see cref="LayerKind"/> parses: one attribute, where it is, the shape it reads and the layer before it, and
/// where to report diagnostics; with readers for its arguments that never throw on values the compiler accepted.
/// </summary>
internal sealed class LayerContext
{
    private readonly List<DiagnosticInfo> _diagnostics;

    public LayerContext(AttributeData attribute, Location location, Shape input, LayerModel? previous, List<DiagnosticInfo> diagnostics)
    {
        Attribute = attribute;
        Location = location;
        Input = input;
        Previous = previous;
        _diagnostics = diagnostics;
    }

    public AttributeData Attribute { get; }

    /// <summary>The attribute's location: every diagnostic about it points here.</summary>
    public Location Location { get; }

    /// <summary>The shape the layer reads.</summary>
    public Shape Input { get; }

    /// <summary>The layer before it, or null when it reads the network's input.</summary>
    public LayerModel? Previous { get; }

    public void Report(DiagnosticDescriptor descriptor, params object[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, Location, arguments));

    public int Int(int index) => (int)Attribute.ConstructorArguments[index].Value!;

    public double Double(int index) => Convert.ToDouble(Attribute.ConstructorArguments[index].Value, CultureInfo.InvariantCulture);

    /// <summary>The activation argument at <paramref name="index"/>; an undefined value is reported and read as None.</summary>
    public ActivationKind Activation(int index)
    {
        var activation = (ActivationKind)Int(index);
        if (Enum.IsDefined(typeof(ActivationKind), activation))
            return activation;
        Report(Descriptors.UndefinedEnumValue, (int)activation, "Activation");
        return ActivationKind.None;
    }

    /// <summary>A named enum setting; an undefined value is reported and the fallback used.</summary>
    public TEnum Named<TEnum>(string property, TEnum fallback, string enumName) where TEnum : struct, Enum
    {
        foreach (KeyValuePair<string, TypedConstant> named in Attribute.NamedArguments)
        {
            if (named.Key != property) continue;
            int value = (int)named.Value.Value!;
            if (Enum.IsDefined(typeof(TEnum), value))
                return (TEnum)(object)value;
            Report(Descriptors.UndefinedEnumValue, value, enumName);
        }
        return fallback;
    }

    public double NamedDouble(string property, double fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> named in Attribute.NamedArguments)
        {
            if (named.Key == property)
                return Convert.ToDouble(named.Value.Value, CultureInfo.InvariantCulture);
        }
        return fallback;
    }

    public int NamedInt(string property, int fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> named in Attribute.NamedArguments)
        {
            if (named.Key == property)
                return (int)named.Value.Value!;
        }
        return fallback;
    }

    /// <summary>Reports a size setting below 1 and returns 1 in its place, so that shapes after it stay computable.</summary>
    public int Positive(string kind, string setting, int value)
    {
        if (value >= 1) return value;
        Report(Descriptors.SettingNotPositive, setting, kind, value);
        return 1;
    }

    /// <summary>Whether the layer reads an image; reports it when it does not.</summary>
    public bool RequireImage(string kind)
    {
        if (Input.IsImage) return true;
        Report(Descriptors.NeedsImage, kind, Input.Size);
        return false;
    }

    /// <summary>A drop probability setting, reported unless in [0, 1).</summary>
    public double Rate(double rate)
    {
        if (!(rate >= 0 && rate < 1))
            Report(Descriptors.RateOutOfRange, Format(rate));
        return rate;
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
