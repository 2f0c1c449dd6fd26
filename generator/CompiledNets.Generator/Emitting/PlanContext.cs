using System.Collections.Generic;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Emitting;

/// <summary>
/// Where the plan is while it walks the declared layers: what the next layer reads, where its parameters start, how
/// many layers of each kind came before (for names), and the declared layer after it (which it may fuse with).
/// </summary>
internal sealed class PlanContext
{
    private readonly EquatableArray<LayerModel> _layers;
    private readonly Dictionary<string, int> _counts = new();
    private int _next;

    public PlanContext(EquatableArray<LayerModel> layers, Buffer input, Shape inputShape)
    {
        _layers = layers;
        Source = input;
        Input = inputShape;
    }

    public PlannedLayer? Previous { get; private set; }
    public Buffer Source { get; private set; }
    public Shape Input { get; private set; }
    public long ParameterOffset { get; private set; }

    /// <summary>The declared layer after the one being planned, or null.</summary>
    public LayerModel? Following => _next < _layers.Count ? _layers[_next] : null;

    /// <summary>Takes <see cref="Following"/> into the layer being planned (a fusion): it gets no plan of its own.</summary>
    public void TakeFollowing() => _next++;

    /// <summary>1 for the first layer of <paramref name="kind"/>, 2 for the second, …</summary>
    public int Number(string kind)
    {
        _counts.TryGetValue(kind, out int count);
        _counts[kind] = ++count;
        return count;
    }

    internal LayerModel? Advance() => _next < _layers.Count ? _layers[_next++] : null;

    internal void Planned(PlannedLayer layer)
    {
        Previous = layer;
        Source = layer.Output;
        Input = layer.OutputShape;
        ParameterOffset += layer.ParameterCount;
    }
}
