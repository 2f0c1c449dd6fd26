using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Generator;

/// <summary>Every diagnostic the generator reports. Ids are stable: never reuse or renumber one.</summary>
internal static class Descriptors
{
    private const string Category = "CompiledNets";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = Error("CNN0001",
        "Network class must be partial",
        "The network class '{0}' must be declared 'partial' so that the generated members can be added to it");

    public static readonly DiagnosticDescriptor NoLayers = Error("CNN0002",
        "Network has no dense layer",
        "The network '{0}' declares no [Dense] layer; add at least one after [Network]");

    public static readonly DiagnosticDescriptor InputsNotPositive = Error("CNN0003",
        "Network input width must be positive",
        "The input width of [Network] must be at least 1, but is {0}");

    public static readonly DiagnosticDescriptor UnitsNotPositive = Error("CNN0004",
        "Dense layer must have at least one unit",
        "A [Dense] layer must have at least 1 unit, but declares {0}");

    public static readonly DiagnosticDescriptor RateOutOfRange = Error("CNN0005",
        "Dropout rate out of range",
        "The dropout rate is the probability of dropping a unit and must be in [0, 1), but is {0}");

    public static readonly DiagnosticDescriptor DropoutAfterDropout = Error("CNN0006",
        "Dropout directly after dropout",
        "[Dropout] cannot directly follow another [Dropout]; use one layer with rate {0}, which drops units with the same probability");

    public static readonly DiagnosticDescriptor LayersOnOtherPart = Error("CNN0007",
        "Layers split across partial declarations",
        "[{0}] is on a different partial declaration of '{1}' than [Network]; declare every layer on the declaration that carries [Network] so that their order is defined");

    public static readonly DiagnosticDescriptor TooFewClasses = Error("CNN0008",
        "Output width does not fit the loss",
        "Softmax cross-entropy needs at least 2 outputs (classes), but the last [Dense] layer has {0}");

    public static readonly DiagnosticDescriptor NestedType = Error("CNN0009",
        "Network cannot be a nested type",
        "The network class '{0}' is nested in another type; declare it directly in a namespace");

    public static readonly DiagnosticDescriptor GenericType = Error("CNN0010",
        "Network cannot be generic",
        "The network class '{0}' has type parameters; a network's sizes and code are fixed, so it cannot be generic");

    public static readonly DiagnosticDescriptor StaticType = Error("CNN0011",
        "Network cannot be static",
        "The network class '{0}' is static; a network holds its parameters and buffers, so it must be an instance class");

    public static readonly DiagnosticDescriptor UndefinedEnumValue = Error("CNN0012",
        "Undefined enum value",
        "{0} is not a defined {1} value");

    public static readonly DiagnosticDescriptor InvalidInitSetting = Error("CNN0013",
        "Invalid initialization setting",
        "{0} must be {1}, but is {2}");

    public static readonly DiagnosticDescriptor LayerWithoutNetwork = Error("CNN0014",
        "Layer attribute without [Network]",
        "[{0}] on '{1}' has no effect because the class has no [Network] attribute");

    public static readonly DiagnosticDescriptor TooLarge = Error("CNN0015",
        "Network too large",
        "The network '{0}' has {1} parameters, more than one array can hold ({2})");

    public static readonly DiagnosticDescriptor PrimaryConstructor = Error("CNN0016",
        "Network cannot have a primary constructor",
        "The network class '{0}' has a primary constructor; remove it, because the generated constructor (maxBatchSize, seed) must be the one that allocates the network");

    public static readonly DiagnosticDescriptor ReservedName = Error("CNN0017",
        "Network named like a generated member",
        "The network class '{0}' has the name of a member the generator adds to it; rename the class");

    public static readonly DiagnosticDescriptor NeedsImage = Error("CNN0018",
        "Layer needs an image input",
        "[{0}] works on images, but the layer before it gives a flat vector of {1} values; declare image layers before any [Dense] layer, on an image input [Network(channels, height, width)]");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error("CNN0019",
        "Window larger than its input",
        "[{0}]'s {1} does not fit its input of {2}: the output would have no pixels");

    public static readonly DiagnosticDescriptor SettingNotPositive = Error("CNN0020",
        "Layer setting must be positive",
        "{0} of [{1}] must be at least 1, but is {2}");

    public static readonly DiagnosticDescriptor LayerOrder = Error("CNN0021",
        "Layer in a place it cannot be",
        "[{0}] cannot follow {1}: {2}");

    public static readonly DiagnosticDescriptor ImageInputNotPositive = Error("CNN0022",
        "Image input dimensions out of range",
        "The image input of [Network] must have at least 1 channel, row and column and at most {3} values, but is {0}×{1}×{2}");

    public static readonly DiagnosticDescriptor WeightsFileMissing = Error("CNN0023",
        "Weights file not found",
        "The weights file '{0}' of '{1}' is not among the project's AdditionalFiles; add <AdditionalFiles Include=\"{0}\" /> to the project");

    public static readonly DiagnosticDescriptor WeightsFileUnreadable = Error("CNN0024",
        "Weights file unreadable",
        "The weights file '{0}' cannot be read: {1}");

    public static readonly DiagnosticDescriptor WeightsMismatch = Error("CNN0025",
        "Weights do not fit the declaration",
        "The weights file '{0}' does not fit '{1}': {2}");

    public static readonly DiagnosticDescriptor NoiseStdDevInvalid = Error("CNN0026",
        "Noise standard deviation out of range",
        "The standard deviation of [GaussianNoise] must be finite and not negative (as a float), but is {0}");

    public static readonly DiagnosticDescriptor AlphaDropoutWithoutSelu = new("CNN0027",
        "AlphaDropout after a layer that is not SELU",
        "[AlphaDropout] follows {0}: its correction keeps the mean 0 and variance 1 of self-normalizing SELU outputs, and sets dropped units to SELU's saturation value −λα; after other values it shifts and scales them wrongly. Use Activation.SELU on the layer before, or [Dropout].",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidMaxNorm = Error("CNN0028",
        "Invalid max-norm",
        "MaxNorm of [{0}] must be positive and finite as a float, but is {1}");

    public static readonly DiagnosticDescriptor InvalidDropConnect = Error("CNN0029",
        "Invalid DropConnect setting",
        "{0} of [Dense] {1}, but is {2}");

    public static readonly DiagnosticDescriptor DropConnectSettingWithoutDropConnect = new("CNN0030",
        "DropConnect setting without DropConnect",
        "{0} of [Dense] has no effect without DropConnect (a drop probability in (0, 1)): set DropConnect or remove {0}",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ConcreteDropoutSetting = Error("CNN0031",
        "Invalid concrete dropout setting",
        "{0} of [ConcreteDropout] must be {2}, but is {1}");

    public static readonly DiagnosticDescriptor ConcreteDropoutNotBeforeWeights = Error("CNN0032",
        "ConcreteDropout not followed by a weighted layer",
        "[ConcreteDropout] is followed by {0}: it must be directly followed by a [Dense] or [Conv2D], whose kernel its weight regularizer reads (the dropout is applied to that layer's input)");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new[]
    {
        NotPartial, NoLayers, InputsNotPositive, UnitsNotPositive, RateOutOfRange, DropoutAfterDropout,
        LayersOnOtherPart, TooFewClasses, NestedType, GenericType, StaticType, UndefinedEnumValue,
        InvalidInitSetting, LayerWithoutNetwork, TooLarge, PrimaryConstructor, ReservedName, NeedsImage, WindowTooLarge,
        SettingNotPositive, LayerOrder, ImageInputNotPositive, WeightsFileMissing, WeightsFileUnreadable, WeightsMismatch,
        NoiseStdDevInvalid, AlphaDropoutWithoutSelu, InvalidMaxNorm, InvalidDropConnect, DropConnectSettingWithoutDropConnect,
        ConcreteDropoutSetting, ConcreteDropoutNotBeforeWeights,
    }.ToDictionary(d => d.Id);

    /// <summary>All descriptors, for tests that check each one is reachable and documented.</summary>
    public static IEnumerable<DiagnosticDescriptor> All => s_byId.Values;

    public static DiagnosticDescriptor ById(string id) => s_byId[id];
}
