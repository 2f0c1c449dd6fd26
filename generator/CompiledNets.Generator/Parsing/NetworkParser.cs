using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Layers;
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
    /// <summary>The metadata name of [Network] (the generator matches attributes by name: it cannot reference the runtime).</summary>
    public const string NetworkAttribute = "CompiledNets.NetworkAttribute";

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

        AttributeData network = context.Attributes[0];
        bool compilerErrors = HasCompilerErrors(network, context.SemanticModel, cancellationToken);
        Location networkLocation = LocationOf(network, cancellationToken) ?? nameLocation;
        Shape input = Shape.Flat(1);
        LossKind loss = LossKind.SoftmaxCrossEntropy;
        string? weights = null;
        if (!compilerErrors)
        {
            input = ParseInput(network, networkLocation, diagnostics);
            loss = new LayerContext(network, networkLocation, input, null, diagnostics)
                .Named("Loss", LossKind.SoftmaxCrossEntropy, "LossFunction");
            weights = network.NamedArguments.FirstOrDefault(a => a.Key == "Weights").Value.Value as string;
        }

        var layers = new List<LayerModel>();
        var locations = new List<Location>();
        Shape shape = input;
        bool anyParameters = false;
        Location? lastLocation = null;
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            LayerKind? kind = LayerKinds.ByAttribute(attribute.AttributeClass?.ToDisplayString());
            if (kind is null)
                continue;
            if (HasCompilerErrors(attribute, context.SemanticModel, cancellationToken))
            {
                compilerErrors = true;
                continue;
            }

            Location location = LocationOf(attribute, cancellationToken) ?? nameLocation;
            if (!IsOnDeclaration(attribute, declaration, cancellationToken))
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayersOnOtherPart, location, kind.Name, symbol.Name));

            LayerModel layer = kind.Parse(new LayerContext(attribute, location, shape, layers.Count == 0 ? null : layers[layers.Count - 1], diagnostics));
            if (layer.HasParameters)
            {
                anyParameters = true;
                lastLocation = location;
            }
            shape = layer.OutputShape(shape);
            layers.Add(layer);
            locations.Add(location);
        }
        for (int i = 0; i < layers.Count; i++)
            ConcreteDropoutKind.CheckFollowing(layers[i], i + 1 < layers.Count ? layers[i + 1] : null, locations[i], diagnostics);

        if (!anyParameters && !compilerErrors)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoLayers, nameLocation, symbol.Name));

        if (anyParameters && loss == LossKind.SoftmaxCrossEntropy && shape.Size == 1)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooFewClasses, lastLocation ?? nameLocation, shape.Size));

        if (!HasErrors(diagnostics) && !compilerErrors)
        {
            decimal parameters = CountParameters(input, layers);
            if (parameters > MaxArrayLength)
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, networkLocation, symbol.Name, parameters, MaxArrayLength));
        }

        NetworkModel? model = !HasErrors(diagnostics) && !compilerErrors
            ? new NetworkModel(
                NamespaceOf(symbol),
                symbol.Name,
                symbol.IsRecord ? "record" : "class",
                input,
                loss,
                layers.ToEquatableArray(),
                string.IsNullOrWhiteSpace(weights) ? null : weights)
            : null;
        if (model is not null && GeneratedMembers.Of(model).Contains(symbol.Name))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ReservedName, nameLocation, symbol.Name));
            model = null;
        }
        Weights.WeightsRequest? request = null;
        if (model?.WeightsFile is not null)
        {
            FileLinePositionSpan lines = networkLocation.GetLineSpan();
            request = new Weights.WeightsRequest(model, lines.Path ?? "", networkLocation.SourceSpan, lines.Span);
        }
        return new ParseResult(model, diagnostics.ToEquatableArray(), request);
    }

    /// <summary>[Network(inputs)] or [Network(channels, height, width)].</summary>
    private static Shape ParseInput(AttributeData network, Location location, List<DiagnosticInfo> diagnostics)
    {
        var arguments = network.ConstructorArguments;
        if (arguments.Length == 3)
        {
            int channels = (int)arguments[0].Value!, height = (int)arguments[1].Value!, width = (int)arguments[2].Value!;
            if (channels < 1 || height < 1 || width < 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ImageInputNotPositive, location, channels, height, width, MaxArrayLength));
                return Shape.Image(1, 1, 1);
            }
            var image = Shape.Image(channels, height, width);
            if (image.Size > MaxArrayLength)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ImageInputNotPositive, location, channels, height, width, MaxArrayLength));
                return Shape.Image(1, 1, 1);
            }
            return image;
        }
        int inputs = (int)arguments[0].Value!;
        if (inputs < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InputsNotPositive, location, inputs));
            return Shape.Flat(1);
        }
        return Shape.Flat(inputs);
    }

    /// <summary>The exact parameter count: in decimal, which no sum of products can overflow (a long can).</summary>
    private static decimal CountParameters(Shape input, List<LayerModel> layers)
    {
        decimal total = 0;
        Shape shape = input;
        foreach (LayerModel layer in layers)
        {
            total += layer.ParameterCount(shape);
            shape = layer.OutputShape(shape);
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

    /// <summary>Whether any of <paramref name="diagnostics"/> is an error: warnings (CNN0027) leave the network generated.</summary>
    private static bool HasErrors(List<DiagnosticInfo> diagnostics) =>
        diagnostics.Any(d => Descriptors.ById(d.DescriptorId).DefaultSeverity == DiagnosticSeverity.Error);
}
