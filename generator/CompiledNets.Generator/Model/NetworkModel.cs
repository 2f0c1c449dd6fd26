namespace CompiledNets.Generator.Model;

/// <summary>
/// Everything the emitter needs to write one network, and nothing else: plain values only (no symbols,
/// syntax or locations), so that equal declarations give equal models and the pipeline can cache.
/// </summary>
/// <param name="Namespace">The containing namespace as written without '@' escapes ("A.B"), or null for the global namespace.</param>
/// <param name="ClassName">The class's name without an '@' escape.</param>
/// <param name="TypeKeyword">"class" or "record", as the user declared it (partial parts must agree).</param>
/// <param name="InputSize">Values per example.</param>
/// <param name="Loss">The loss the network is trained on.</param>
/// <param name="Layers">The layers in declaration order.</param>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    string TypeKeyword,
    int InputSize,
    LossKind Loss,
    EquatableArray<LayerModel> Layers)
{
    /// <summary>The full name, unescaped.</summary>
    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;

    /// <summary>
    /// The file name the generated source is added under. Roslyn compares hint names ignoring case, so a hash
    /// of the case-sensitive full name keeps "A.Net" and "a.NET" apart.
    /// </summary>
    public string HintName => FullName + "." + StableHash.Of(FullName) + ".g.cs";
}

/// <summary>A dense or dropout layer.</summary>
internal abstract record LayerModel;

/// <param name="Units">Outputs of the layer.</param>
/// <param name="Activation">The nonlinearity applied to them.</param>
/// <param name="WeightInit">How weights start (Auto already resolved by the parser).</param>
/// <param name="WeightStdDev">Standard deviation for the truncated normal.</param>
/// <param name="BiasInit">The value every bias starts at.</param>
internal sealed record DenseLayerModel(
    int Units,
    ActivationKind Activation,
    WeightInitKind WeightInit,
    double WeightStdDev,
    double BiasInit) : LayerModel;

/// <param name="Rate">Drop probability, in [0, 1).</param>
/// <param name="Scaling">Where the 1/p correction is applied.</param>
internal sealed record DropoutLayerModel(double Rate, ScalingKind Scaling) : LayerModel;
