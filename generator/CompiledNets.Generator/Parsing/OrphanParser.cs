using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CompiledNets.Generator.Layers;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Generator.Parsing;

/// <summary>Finds layer attributes (every kind in <see cref="LayerKinds"/>) on classes that have no [Network]: they would silently do nothing.</summary>
internal static class OrphanParser
{
    public static EquatableArray<DiagnosticInfo> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        ISymbol symbol = context.TargetSymbol;
        if (symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttribute))
            return EquatableArray<DiagnosticInfo>.Empty;

        var diagnostics = new List<DiagnosticInfo>();
        foreach (AttributeData attribute in context.Attributes)
        {
            // Roslyn hands every matching attribute of the type in this file to each of its partial declarations;
            // report each attribute once, from the declaration that carries it.
            SyntaxReference? reference = attribute.ApplicationSyntaxReference;
            if (reference is not null && (reference.SyntaxTree != context.TargetNode.SyntaxTree || !context.TargetNode.Span.Contains(reference.Span)))
                continue;
            string name = LayerKinds.ByAttribute(attribute.AttributeClass?.ToDisplayString())?.Name ?? attribute.AttributeClass?.Name ?? "";
            Location? location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerWithoutNetwork, location, name, symbol.Name));
        }
        return diagnostics.ToEquatableArray();
    }
}
