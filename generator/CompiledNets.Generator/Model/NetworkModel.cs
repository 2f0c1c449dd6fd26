namespace CompiledNets.Generator.Model;

/// <summary>
/// Everything the emitter needs to write one network, and nothing else: plain values only (no symbols,
/// syntax or locations), so that equal declarations give equal models and the pipeline can cache.
/// </summary>
/// <param name="Namespace">The containing namespace as written without '@' escapes ("A.B"), or null for the global namespace.</param>
/// <param name="ClassName">The class's name without an '@' escape.</param>
/// <param name="TypeKeyword">"class" or "record", as the user declared it (partial parts must agree).</param>
/// <param name="Input">What one input example looks like.</param>
/// <param name="Loss">The loss the network is trained on.</param>
/// <param name="Layers">The layers in declaration order.</param>
/// <param name="WeightsFile">The weights file the parameters start from (compiled in), as written in [Network(Weights = …)], or null.</param>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    string TypeKeyword,
    Shape Input,
    LossKind Loss,
    EquatableArray<LayerModel> Layers,
    string? WeightsFile = null)
{
    /// <summary>Values per input example.</summary>
    public int InputSize => (int)Input.Size;

    /// <summary>The full name, unescaped.</summary>
    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;

    /// <summary>
    /// The file name the generated source is added under. Roslyn compares hint names ignoring case, so a hash
    /// of the case-sensitive full name keeps "A.Net" and "a.NET" apart.
    /// </summary>
    public string HintName => FullName + "." + StableHash.Of(FullName) + ".g.cs";
}

/// <summary>
/// One declared layer, as plain values. Each kind (Layers/*.cs) derives its own record and answers the same questions:
/// what it makes of the shape it reads, how many parameters it has, how it reads in a summary.
/// </summary>
internal abstract record LayerModel
{
    /// <summary>The shape this layer writes, given the shape it reads (already checked by the parser).</summary>
    public abstract Shape OutputShape(Shape input);

    /// <summary>Whether the layer is of the dropout family (two of them in a row are one too many).</summary>
    public virtual bool IsDropout => false;

    /// <summary>Whether the layer has trainable parameters (whatever its settings: a Dense of 0 units still counts).</summary>
    public virtual bool HasParameters => false;

    /// <summary>Trainable parameters, given the shape it reads (a decimal, which no product of int settings overflows).</summary>
    public virtual decimal ParameterCount(Shape input) => 0;

    /// <summary>How the layer reads in the generated class's summary, e.g. "Dense(200, ReLU)".</summary>
    public abstract string Describe();

    /// <summary>Lays the layer out for emission, after the layers <paramref name="context"/> has planned.</summary>
    public abstract Emitting.PlannedLayer Plan(Emitting.PlanContext context);
}
