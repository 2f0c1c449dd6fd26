using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// One kind of layer. Everything the generator knows about a kind lives in its own file under Layers/: this class (its
/// attribute and how to parse and check it), its <see cref="LayerModel"/> record (its settings, output shape and
/// parameter count) and its <see cref="PlannedLayer"/> (its buffers, parameters and emitted forward and backward code).
/// <see cref="LayerKinds.All"/> lists the kinds; the parser, the orphan check and the generator's pipeline read it.
/// </summary>
internal abstract class LayerKind
{
    /// <summary>The attribute's metadata name, e.g. "CompiledNets.DenseAttribute".</summary>
    public abstract string AttributeName { get; }

    /// <summary>The attribute as written, e.g. "Dense": used in diagnostics.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Reads the attribute into its model and reports what is wrong with it (its own settings, or its place after the
    /// layer before it). Returns a model even when it reported errors, so later layers are still checked; its output
    /// shape must then still be usable (at least 1 in every dimension).
    /// </summary>
    public abstract LayerModel Parse(LayerContext context);
}
