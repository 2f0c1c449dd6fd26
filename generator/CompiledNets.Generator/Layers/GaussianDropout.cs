using Buffer = CompiledNets.Generator.Emitting.Buffer;
using Math = System.Math;
using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// [GaussianDropout(rate)] (Keras' <c>GaussianDropout</c>): while training each unit is multiplied by its own
/// ε ~ N(1, rate / (1 − rate)); identity at inference. Per element wherever [Dropout] may stand.
/// </summary>
internal sealed class GaussianDropoutKind : LayerKind
{
    public override string AttributeName => "CompiledNets.GaussianDropoutAttribute";
    public override string Name => "GaussianDropout";

    public override LayerModel Parse(LayerContext context)
    {
        double rate = context.Rate(context.Double(0));
        NoiseLayer.CheckPlace(context, Name);
        return new GaussianDropoutLayerModel(rate);
    }
}

/// <param name="Rate">In [0, 1): the variance of ε is rate / (1 − rate), that of a dropout of this rate with inverted scaling.</param>
internal sealed record GaussianDropoutLayerModel(double Rate) : LayerModel
{
    public override bool IsDropout => true;

    public override Shape OutputShape(Shape input) => input;

    public override string Describe() => $"GaussianDropout({Literals.Probability(Rate)})";

    /// <summary>ε's standard deviation, sqrt(rate / (1 − rate)); 0 for a rate the parser rejected.</summary>
    public double StdDev => Rate >= 0 && Rate < 1 ? Math.Sqrt(Rate / (1 - Rate)) : 0;

    public override PlannedLayer Plan(PlanContext context) => new GaussianDropoutLayer(context, this);
}

/// <summary>Multiplies by ε, stored per element as the mask; backward multiplies the gradient by the same ε.</summary>
internal sealed class GaussianDropoutLayer : NoiseLayer
{
    private readonly GaussianDropoutLayerModel _layer;

    public GaussianDropoutLayer(PlanContext context, GaussianDropoutLayerModel layer)
        : base(context, "Gaussian dropout", "GaussianDropout", layer.Rate, $"ε ~ N(1, {Literals.Probability(layer.StdDev)}²) per unit while training, 1 at inference")
        => _layer = layer;

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Noise.Output.Name, "GaussianDropout", InputShape, InputShape, $"ε ~ N(1, {Literals.Probability(_layer.StdDev * _layer.StdDev)})", Rate: _layer.Rate, Inverted: true)];

    protected override string Sample => $"{Names.Kernels}.GaussianNoise.Sample(mask, mean: 1f, stdDev: {Literals.Float(_layer.StdDev)}, ref _masks);";

    protected override string Apply(string destination, string source, string mask) => $"{Names.Tensor}.Multiply({source}, {mask}, {destination});";

    protected override string? ApplyBackward(string destination, string source, string mask) => Apply(destination, source, mask);
}

/// <summary>
/// A per-element noise layer of the dropout family that no Dense absorbs: the noise sampled while training is kept in
/// its mask buffer (so that Backward, the DropoutMask hook and ForwardWithCurrentMasks see it); at inference the layer
/// is the identity. Subclasses say how the noise is sampled and applied.
/// </summary>
internal abstract class NoiseLayer : PlannedLayer
{
    private readonly Buffer _gradient;

    /// <param name="title">"Gaussian dropout": numbered per kind ("Gaussian dropout 1"), for comments and buffer names.</param>
    /// <param name="noise">What the noise is, for comments.</param>
    protected NoiseLayer(PlanContext context, string title, string kind, double rate, string noise) : base(context)
    {
        int width = (int)InputShape.Size;
        int number = context.Number(kind);
        string numbered = $"{title} {number}";
        string name = Names.Camel($"{kind} {number}"); // "gaussianDropout1"
        Noise = new DropoutPlan(numbered, name, name + "Mask", width, width, rate, ScalingKind.Inverted,
            maskDescription: $"{numbered} mask: {noise}");
        NoiseDescription = (Previous is null ? "on the input, " : $"after {Previous.Title}, ") + noise;
        _gradient = new Buffer("d" + Names.Pascal(name), width, $"d(loss)/d({numbered} output)");
    }

    /// <summary>The mask (the noise) and output buffers.</summary>
    public DropoutPlan Noise { get; }
    public string NoiseDescription { get; }
    public override Shape OutputShape => InputShape;
    public override Buffer Output => Noise.Output;
    public override string Title => Noise.Title;
    public override Buffer? Gradient => NeedsGradient ? _gradient : null;
    public override bool BackwardReadsMasks => WritesInputGradient && ApplyBackward("", "", "") is not null;
    public override IEnumerable<DropoutPlan> Masks() => [Noise];

    public override IEnumerable<Buffer> Buffers()
    {
        yield return Noise.Mask;
        yield return Noise.Output;
        if (Gradient is not null) yield return Gradient;
    }

    /// <summary>The statement that fills the local <c>mask</c> with fresh noise from <c>_masks</c>.</summary>
    protected abstract string Sample { get; }

    /// <summary>The training forward statement: <paramref name="destination"/> from <paramref name="source"/> and the noise.</summary>
    protected abstract string Apply(string destination, string source, string mask);

    /// <summary>The training backward statement, or null when the gradient passes through unchanged.</summary>
    protected abstract string? ApplyBackward(string destination, string source, string mask);

    /// <summary>Reports the places a per-element noise layer cannot stand: directly after another dropout-family layer.</summary>
    public static void CheckPlace(LayerContext context, string name)
    {
        if (context.Previous is { IsDropout: true } other)
            context.Report(Descriptors.LayerOrder, name, $"[{other.Describe()}]", "two dropout-family layers in a row; keep one of them");
    }

    public override void WriteForward(CodeWriter w)
    {
        string output = Noise.Output.Name;
        w.Line();
        w.Line($"// {Title}: {NoiseDescription}");
        w.Line($"var {output} = Rows({Noise.Output.Field}, {Noise.Output.Width});");
        using (w.Open("if (training)"))
        {
            w.Line($"var mask = Rows({Noise.Mask.Field}, {Noise.Mask.Width});");
            w.Line("if (sampleMasks)");
            w.Line("    " + Sample);
            w.Line(Apply(output, Source.Name, "mask"));
        }
        using (w.Open("else"))
            w.Line($"{Source.Name}.CopyTo({output});");
    }

    public override void WriteBackward(CodeWriter w)
    {
        if (!WritesInputGradient) return;
        Buffer before = Previous!.Gradient!;
        w.Line();
        w.Line($"// {Title}: {(ApplyBackward("", "", "") is null ? "the gradient passes through unchanged" : "the gradient is multiplied by the mask Forward used")}");
        w.Line($"var {before.Name} = Rows({before.Field}, {before.Width});");
        string? training = ApplyBackward(before.Name, _gradient.Name, $"Rows({Noise.Mask.Field}, {Noise.Mask.Width})");
        if (training is null)
        {
            w.Line($"{_gradient.Name}.CopyTo({before.Name});");
            return;
        }
        using (w.Open("if (_training)"))
            w.Line(training);
        using (w.Open("else"))
            w.Line($"{_gradient.Name}.CopyTo({before.Name});");
    }
}
