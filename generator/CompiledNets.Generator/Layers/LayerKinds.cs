using System.Collections.Generic;
using System.Linq;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// Every layer kind the generator knows. The parser reads layers through it, the generator watches each kind's
/// attribute for use without [Network]; adding a kind is its file and one line here.
/// </summary>
internal static class LayerKinds
{
    public static readonly IReadOnlyList<LayerKind> All =
    [
        new DenseKind(),
        new DropoutKind(),
        new Conv2DKind(),
        new MaxPool2DKind(),
        new SpatialDropoutKind(),
        new GaussianDropoutKind(),
        new GaussianNoiseKind(),
        new AlphaDropoutKind(),
        new ConcreteDropoutKind(),
    ];

    private static readonly Dictionary<string, LayerKind> s_byAttribute = All.ToDictionary(k => k.AttributeName);

    /// <summary>The kind whose attribute has this metadata name, or null for any other attribute.</summary>
    public static LayerKind? ByAttribute(string? metadataName) =>
        metadataName is not null && s_byAttribute.TryGetValue(metadataName, out LayerKind? kind) ? kind : null;
}
