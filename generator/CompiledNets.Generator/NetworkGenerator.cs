using System.Collections.Immutable;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Layers;
using CompiledNets.Generator.Model;
using CompiledNets.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CompiledNets.Generator;

/// <summary>
/// Emits the forward and backward passes of every class marked [Network]. Diagnostics are their own output,
/// so a change that only moves a diagnostic does not re-emit code, and vice versa.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for the incremental caching tests.</summary>
    public static class Steps
    {
        /// <summary>Parsing each [Network] class into a model and diagnostics.</summary>
        public const string Parse = "Parse";
        /// <summary>The models of valid networks.</summary>
        public const string Models = "Models";
        /// <summary>The diagnostics of each network.</summary>
        public const string Diagnostics = "Diagnostics";
        /// <summary>Layer attributes on classes without [Network].</summary>
        public const string Orphans = "Orphans";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(NetworkParser.NetworkAttribute, static (node, _) => IsClass(node), NetworkParser.Parse)
            .WithTrackingName(Steps.Parse);

        IncrementalValuesProvider<NetworkModel> models = parsed
            .Select(static (result, _) => result.Model!)
            .Where(static model => model is not null)
            .WithTrackingName(Steps.Models);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(Steps.Diagnostics);

        // One provider per layer kind (ForAttributeWithMetadataName takes one name), joined into one list.
        IncrementalValueProvider<ImmutableArray<EquatableArray<DiagnosticInfo>>> orphanLists = OrphanLayers(context, LayerKinds.All[0].AttributeName).Collect();
        for (int i = 1; i < LayerKinds.All.Count; i++)
        {
            orphanLists = orphanLists
                .Combine(OrphanLayers(context, LayerKinds.All[i].AttributeName).Collect())
                .Select(static (pair, _) => pair.Left.AddRange(pair.Right));
        }
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> orphans = orphanLists
            .SelectMany(static (lists, _) => lists)
            .WithTrackingName(Steps.Orphans);

        context.RegisterSourceOutput(models, static (spc, model) => spc.AddSource(model.HintName, NetworkEmitter.Emit(model)));
        context.RegisterSourceOutput(diagnostics, Report);
        context.RegisterSourceOutput(orphans, Report);
    }

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (DiagnosticInfo diagnostic in diagnostics)
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
    }

    private static IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> OrphanLayers(
        IncrementalGeneratorInitializationContext context, string attributeName) =>
        context.SyntaxProvider.ForAttributeWithMetadataName(attributeName, static (node, _) => IsClass(node), OrphanParser.Parse)
            .Where(static d => d.Count > 0);

    private static bool IsClass(SyntaxNode node) =>
        node is ClassDeclarationSyntax
        || (node is RecordDeclarationSyntax record && !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword));
}
