using System.Collections.Immutable;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Layers;
using CompiledNets.Generator.Model;
using CompiledNets.Generator.Parsing;
using CompiledNets.Generator.Weights;
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
        /// <summary>The weights files (AdditionalFiles, as the build's base64 copies), read and parsed.</summary>
        public const string WeightsFiles = "WeightsFiles";
        /// <summary>The diagnostics of networks whose weights file is missing, unreadable or does not fit.</summary>
        public const string WeightsDiagnostics = "WeightsDiagnostics";
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

        IncrementalValueProvider<ImmutableArray<WeightsFile>> weightsFiles = context.AdditionalTextsProvider
            .Where(static text => WeightsFile.IsWeightsText(text))
            .Select(static (text, cancellationToken) => WeightsFile.Read(text, cancellationToken))
            .WithTrackingName(Steps.WeightsFiles)
            .Collect();

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> weightsDiagnostics = parsed
            .Select(static (result, _) => result.Weights!)
            .Where(static request => request is not null)
            .Combine(weightsFiles)
            .Select(static (pair, cancellationToken) => WeightsBinding.Bind(pair.Left.Model, pair.Right, out _) is { } problem
                ? new[] { pair.Left.Diagnostic(problem.Descriptor, problem.Arguments) }.ToEquatableArray()
                : EquatableArray<DiagnosticInfo>.Empty)
            .Where(static d => d.Count > 0)
            .WithTrackingName(Steps.WeightsDiagnostics);

        // A network with compiled-in weights is emitted only when its file fits (otherwise CNN0023-0025 say why).
        context.RegisterSourceOutput(models.Combine(weightsFiles), static (spc, pair) =>
        {
            NetworkModel model = pair.Left;
            byte[]? weights = null;
            if (model.WeightsFile is not null && WeightsBinding.Bind(model, pair.Right, out weights) is not null)
                return;
            spc.AddSource(model.HintName, NetworkEmitter.Emit(model, weights));
        });
        context.RegisterSourceOutput(weightsDiagnostics, Report);
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
