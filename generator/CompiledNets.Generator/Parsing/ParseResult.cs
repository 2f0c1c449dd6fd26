using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Parsing;

/// <summary>What parsing one [Network] class gives: a model to emit (null when the declaration has errors) and its diagnostics.</summary>
/// <param name="Weights">For a valid network with compiled-in weights: what the weights steps check, with the attribute's place.</param>
internal sealed record ParseResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, Weights.WeightsRequest? Weights = null);
