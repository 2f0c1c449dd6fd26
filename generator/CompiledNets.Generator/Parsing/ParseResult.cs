using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Parsing;

/// <summary>What parsing one [Network] class gives: a model to emit (null when the declaration has errors) and its diagnostics.</summary>
internal sealed record ParseResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
