using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CompiledNets.Generator.Parsing;

/// <summary>
/// Turns a class carrying [Network] into a <see cref="NetworkModel"/>, or into diagnostics pointing at the
/// offending attribute. Never throws on user input: attributes the compiler itself rejects are skipped
/// (the compiler reports them), everything else that is wrong becomes a CNN diagnostic.
/// </summary>
internal static class NetworkParser
{
    // Array.MaxLength on .NET: the most elements one float[] can hold.
    private const long MaxArrayLength = 0x7FFFFFC7;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        Location nameLocation = declaration.Identifier.GetLocation();

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NotPartial, nameLocation, symbol.Name));
        if (symbol.ContainingType is not null)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NestedType, nameLocation, symbol.Name));
        if (symbol.TypeParameters.Length > 0)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.GenericType, nameLocation, symbol.Name));
        if (symbol.IsStatic)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.StaticType, nameLocation, symbol.Name));
        if (HasPrimaryConstructor(symbol, cancellationToken))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.PrimaryConstructor, nameLocation, symbol.Name));
        if (GeneratedMemberNames.IsReserved(symbol.Name))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ReservedName, nameLocation, symbol.Name));

        AttributeData network = context.Attributes[0];
        bool compilerErrors = HasCompilerErrors(network, context.SemanticModel, cancellationToken);
        Location networkLocation = LocationOf(network, cancellationToken) ?? nameLocation;
        int inputs = 0;
        LossKind loss = LossKind.SoftmaxCrossEntropy;
        if (!compilerErrors)
        {
            inputs = (int)network.ConstructorArguments[0].Value!;
            if (inputs < 1)
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InputsNotPositive, networkLocation, inputs));
            loss = ReadEnum(network, "Loss", LossKind.SoftmaxCrossEntropy, "LossFunction", networkLocation, diagnostics);
        }

        var layers = new List<LayerModel>();
        AttributeData? lastDense = null;
        bool previousWasDropout = false;
        double previousRate = 0;
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name != AttributeNames.Dense && name != AttributeNames.Dropout)
                continue;
            if (HasCompilerErrors(attribute, context.SemanticModel, cancellationToken))
            {
                compilerErrors = true;
                continue;
            }

            Location location = LocationOf(attribute, cancellationToken) ?? nameLocation;
            if (!IsOnDeclaration(attribute, declaration, cancellationToken))
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayersOnOtherPart, location,
                    name == AttributeNames.Dense ? "Dense" : "Dropout", symbol.Name));

            if (name == AttributeNames.Dense)
            {
                layers.Add(ParseDense(attribute, location, diagnostics));
                lastDense = attribute;
                previousWasDropout = false;
            }
            else
            {
                var dropout = ParseDropout(attribute, location, diagnostics);
                if (previousWasDropout)
                {
                    double combined = 1 - (1 - previousRate) * (1 - dropout.Rate);
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.DropoutAfterDropout, location,
                        combined.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
                }
                layers.Add(dropout);
                previousWasDropout = true;
                previousRate = dropout.Rate;
            }
        }

        if (lastDense is null && !compilerErrors)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoLayers, nameLocation, symbol.Name));

        if (lastDense is not null && loss == LossKind.SoftmaxCrossEntropy)
        {
            int outputs = layers.OfType<DenseLayerModel>().Last().Units;
            if (outputs == 1)
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooFewClasses,
                    LocationOf(lastDense, cancellationToken) ?? nameLocation, outputs));
        }

        if (diagnostics.Count == 0 && !compilerErrors)
        {
            decimal parameters = CountParameters(inputs, layers);
            if (parameters > MaxArrayLength)
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, networkLocation, symbol.Name, parameters, MaxArrayLength));
        }

        NetworkModel? model = diagnostics.Count == 0 && !compilerErrors
            ? new NetworkModel(
                NamespaceOf(symbol),
                symbol.Name,
                symbol.IsRecord ? "record" : "class",
                inputs,
                loss,
                layers.ToEquatableArray())
            : null;
        return new ParseResult(model, diagnostics.ToEquatableArray());
    }

    private static DenseLayerModel ParseDense(AttributeData attribute, Location location, List<DiagnosticInfo> diagnostics)
    {
        int units = (int)attribute.ConstructorArguments[0].Value!;
        if (units < 1)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnitsNotPositive, location, units));

        var activation = (ActivationKind)(int)attribute.ConstructorArguments[1].Value!;
        if (!Enum.IsDefined(typeof(ActivationKind), activation))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UndefinedEnumValue, location, (int)activation, "Activation"));
            activation = ActivationKind.None;
        }

        WeightInitKind init = ReadEnum(attribute, "WeightInit", WeightInitKind.Auto, "WeightInit", location, diagnostics);
        if (init == WeightInitKind.Auto)
            init = activation == ActivationKind.ReLU ? WeightInitKind.HeNormal : WeightInitKind.GlorotUniform;

        // Checked as the float the generated code will use: 1e39 is a finite double but an infinite float,
        // and 1e-50 is a positive double but a zero float.
        double stdDev = ReadDouble(attribute, "WeightStdDev", 0.1);
        if (!((float)stdDev > 0) || float.IsInfinity((float)stdDev))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidInitSetting, location, "WeightStdDev", "positive and finite as a float", Format(stdDev)));

        double bias = ReadDouble(attribute, "BiasInit", 0);
        if (float.IsNaN((float)bias) || float.IsInfinity((float)bias))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidInitSetting, location, "BiasInit", "finite as a float", Format(bias)));

        return new DenseLayerModel(units, activation, init, stdDev, bias);
    }

    private static DropoutLayerModel ParseDropout(AttributeData attribute, Location location, List<DiagnosticInfo> diagnostics)
    {
        double rate = Convert.ToDouble(attribute.ConstructorArguments[0].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (!(rate >= 0 && rate < 1))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.RateOutOfRange, location, Format(rate)));
        ScalingKind scaling = ReadEnum(attribute, "Scaling", ScalingKind.AtInference, "DropoutScaling", location, diagnostics);
        return new DropoutLayerModel(rate, scaling);
    }

    /// <summary>The exact parameter count: in decimal, which no sum of int products can overflow (a long can).</summary>
    private static decimal CountParameters(int inputs, List<LayerModel> layers)
    {
        decimal total = 0;
        decimal width = inputs;
        foreach (DenseLayerModel dense in layers.OfType<DenseLayerModel>())
        {
            total += width * dense.Units + dense.Units;
            width = dense.Units;
        }
        return total;
    }

    /// <summary>
    /// True when the compiler could not bind the attribute (missing or mistyped arguments): it reports that
    /// itself, and the arguments cannot be read.
    /// </summary>
    private static bool HasCompilerErrors(AttributeData attribute, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (attribute.AttributeConstructor is null
            || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error || a.Value is null)
            || attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error || a.Value.Value is null))
            return true;

        // A named argument the compiler rejects (unknown property, `Scaling = 1`) can be missing from
        // NamedArguments or bound with a plausible value, so ask the compiler about the attribute's own text.
        SyntaxReference? reference = attribute.ApplicationSyntaxReference;
        if (reference is null)
            return false;
        // An attribute on another partial part lives in another file, with a semantic model of its own.
        SemanticModel model = reference.SyntaxTree == semanticModel.SyntaxTree
            ? semanticModel
            : semanticModel.Compilation.GetSemanticModel(reference.SyntaxTree);
        return model.GetDiagnostics(reference.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error);
    }

    private static bool HasPrimaryConstructor(INamedTypeSymbol symbol, CancellationToken cancellationToken) =>
        symbol.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: not null });

    /// <summary>The namespace as written, without '@' escapes (the emitter escapes what needs it), or null for the global namespace.</summary>
    private static string? NamespaceOf(INamedTypeSymbol symbol)
    {
        var parts = new List<string>();
        for (INamespaceSymbol ns = symbol.ContainingNamespace; !ns.IsGlobalNamespace; ns = ns.ContainingNamespace)
            parts.Insert(0, ns.Name);
        return parts.Count == 0 ? null : string.Join(".", parts);
    }

    private static TEnum ReadEnum<TEnum>(AttributeData attribute, string property, TEnum fallback, string enumName,
        Location location, List<DiagnosticInfo> diagnostics) where TEnum : struct, Enum
    {
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key != property) continue;
            int value = (int)named.Value.Value!;
            if (Enum.IsDefined(typeof(TEnum), value))
                return (TEnum)(object)value;
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UndefinedEnumValue, location, value, enumName));
        }
        return fallback;
    }

    private static double ReadDouble(AttributeData attribute, string property, double fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key == property)
                return Convert.ToDouble(named.Value.Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return fallback;
    }

    private static bool IsOnDeclaration(AttributeData attribute, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        SyntaxReference? reference = attribute.ApplicationSyntaxReference;
        if (reference is null) return true;
        return reference.SyntaxTree == declaration.SyntaxTree
            && declaration.Span.Contains(reference.Span)
            && reference.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() == declaration;
    }

    private static Location? LocationOf(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    private static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
