using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// [GaussianNoise(stdDev)] (Keras' <c>GaussianNoise</c>): while training adds N(0, stdDev²) to each unit; identity at
/// inference. Per element, anywhere a layer may read the shape before it.
/// </summary>
internal sealed class GaussianNoiseKind : LayerKind
{
    public override string AttributeName => "CompiledNets.GaussianNoiseAttribute";
    public override string Name => "GaussianNoise";

    public override LayerModel Parse(LayerContext context)
    {
        double stdDev = context.Double(0);
        // The kernels sample in float: a double beyond float's range would become infinite there.
        if (!(stdDev >= 0 && !float.IsInfinity((float)stdDev)))
        {
            context.Report(Descriptors.NoiseStdDevInvalid, LayerContext.Format(stdDev));
            stdDev = 0;
        }
        return new GaussianNoiseLayerModel(stdDev);
    }
}

/// <param name="StdDev">The noise's standard deviation, finite and not negative (0: the layer is the identity).</param>
internal sealed record GaussianNoiseLayerModel(double StdDev) : LayerModel
{
    public override Shape OutputShape(Shape input) => input;

    public override string Describe() => $"GaussianNoise({Literals.Probability(StdDev)})";

    public override PlannedLayer Plan(PlanContext context) => new GaussianNoiseLayer(context, this);
}

/// <summary>Adds the noise, kept per element in the mask buffer; the gradient passes through unchanged.</summary>
internal sealed class GaussianNoiseLayer : NoiseLayer
{
    private readonly GaussianNoiseLayerModel _layer;

    public GaussianNoiseLayer(PlanContext context, GaussianNoiseLayerModel layer)
        : base(context, "Gaussian noise", "GaussianNoise", 0, $"adds N(0, {Literals.Probability(layer.StdDev)}²) per unit while training, identity at inference")
        => _layer = layer;

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Noise.Output.Name, "GaussianNoise", InputShape, InputShape, $"stddev {Literals.Probability(_layer.StdDev)}")];

    protected override string Sample => $"{Names.Kernels}.GaussianNoise.Sample(mask, mean: 0f, stdDev: {Literals.Float(_layer.StdDev)}, ref _masks);";

    protected override string Apply(string destination, string source, string mask) => $"{Names.Tensor}.Add({source}, {mask}, {destination});";

    protected override string? ApplyBackward(string destination, string source, string mask) => null;
}
