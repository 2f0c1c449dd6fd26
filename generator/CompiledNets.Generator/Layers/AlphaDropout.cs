using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;
using Math = System.Math;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// [AlphaDropout(rate)] (Klambauer et al. 2017; Keras' and PyTorch's <c>AlphaDropout</c>): while training each unit is
/// dropped with probability rate to SELU's negative saturation α′ = −λα, then every unit goes through a·x + b, which keeps
/// a mean of 0 and a variance of 1; identity at inference. Made for SELU networks: after anything else it warns.
/// </summary>
internal sealed class AlphaDropoutKind : LayerKind
{
    public override string AttributeName => "CompiledNets.AlphaDropoutAttribute";
    public override string Name => "AlphaDropout";

    public override LayerModel Parse(LayerContext context)
    {
        double rate = context.Rate(context.Double(0));
        NoiseLayer.CheckPlace(context, Name);
        // The network's input is not warned about: standardized inputs have the mean and variance the correction keeps.
        string? notSelu = context.Previous switch
        {
            null or { IsDropout: true } => null,
            DenseLayerModel { Activation: ActivationKind.SELU } or Conv2DLayerModel { Activation: ActivationKind.SELU } => null,
            DenseLayerModel { Activation: var activation } => $"[{context.Previous.Describe()}], whose activation is {activation}",
            Conv2DLayerModel { Activation: var activation } => $"[{context.Previous.Describe()}], whose activation is {activation}",
            var other => $"[{other.Describe()}], which has no SELU activation",
        };
        if (notSelu is not null)
            context.Report(Descriptors.AlphaDropoutWithoutSelu, notSelu);
        return new AlphaDropoutLayerModel(rate);
    }
}

/// <param name="Rate">Drop probability, in [0, 1).</param>
internal sealed record AlphaDropoutLayerModel(double Rate) : LayerModel
{
    /// <summary>SELU's negative saturation, −λα, in double (PyTorch's λ and α).</summary>
    public const double AlphaPrime = -1.0507009873554805 * 1.6732632423543772;

    public override bool IsDropout => true;

    public override Shape OutputShape(Shape input) => input;

    public override string Describe() => $"AlphaDropout({Literals.Probability(Rate)})";

    private double Keep => Rate >= 0 && Rate < 1 ? 1 - Rate : 1;

    /// <summary>a = (q + α′²·q·(1 − q))^(−1/2), q the keep probability.</summary>
    public double A => 1 / Math.Sqrt(Keep + AlphaPrime * AlphaPrime * Keep * (1 - Keep));

    /// <summary>b = −a·α′·(1 − q).</summary>
    public double B => -A * AlphaPrime * (1 - Keep);

    /// <summary>A dropped unit's output, a·α′ + b.</summary>
    public double Dropped => A * AlphaPrime + B;

    public override PlannedLayer Plan(PlanContext context) => new AlphaDropoutLayer(context, this);
}

/// <summary>
/// The mask holds a where a unit is kept and 0 where it is dropped (the dropout sampler with kept value a), so that
/// forward is <c>mask·x + (kept ? b : a·α′ + b)</c> and backward <c>mask·dy</c>.
/// </summary>
internal sealed class AlphaDropoutLayer : NoiseLayer
{
    private readonly AlphaDropoutLayerModel _layer;

    public AlphaDropoutLayer(PlanContext context, AlphaDropoutLayerModel layer)
        : base(context, "Alpha dropout", "AlphaDropout", layer.Rate,
            $"rate {Literals.Probability(layer.Rate)}: kept units a·x + b, dropped ones a·α′ + b = {Literals.Probability(layer.Dropped)} " +
            $"(a = {Literals.Probability(layer.A)}, b = {Literals.Probability(layer.B)}); mask a where kept, 0 where dropped; identity at inference")
        => _layer = layer;

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Noise.Output.Name, "AlphaDropout", InputShape, InputShape, $"a = {Literals.Probability(_layer.A)}, b = {Literals.Probability(_layer.B)}", Rate: _layer.Rate, Inverted: true)];

    protected override string Sample =>
        $"{Names.Kernels}.Dropout.SampleMask(mask, keepProbability: {Literals.Float(1 - _layer.Rate)}, keptValue: {Literals.Float(_layer.A)}, ref _masks);";

    protected override string Apply(string destination, string source, string mask) =>
        $"{Names.Kernels}.AlphaDropout.Forward({destination}, {source}, {mask}, shift: {Literals.Float(_layer.B)}, dropped: {Literals.Float(_layer.Dropped)});";

    protected override string? ApplyBackward(string destination, string source, string mask) => $"{Names.Tensor}.Multiply({source}, {mask}, {destination});";
}
