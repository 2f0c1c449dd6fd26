using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>[SpatialDropout(rate)]: drops whole channels of an image (one mask value per example and channel).</summary>
internal sealed class SpatialDropoutKind : LayerKind
{
    public override string AttributeName => "CompiledNets.SpatialDropoutAttribute";
    public override string Name => "SpatialDropout";

    public override LayerModel Parse(LayerContext context)
    {
        double rate = context.Rate(context.Double(0));
        ScalingKind scaling = context.Named("Scaling", ScalingKind.AtInference, "DropoutScaling");
        // It needs channels that a convolution or pooling layer wrote: not the raw input, not a vector, not another dropout.
        string? previous = context.Previous switch
        {
            null => "the network's input",
            { IsDropout: true } other => $"[{other.Describe()}]",
            _ when !context.Input.IsImage => "a layer with a flat output",
            _ => null,
        };
        if (previous is not null)
            context.Report(Descriptors.LayerOrder, "SpatialDropout", previous, "it drops whole channels, so it must directly follow a [Conv2D] or [MaxPool2D] layer");
        return new SpatialDropoutLayerModel(rate, scaling);
    }
}

/// <param name="Rate">Probability of dropping each channel, in [0, 1).</param>
/// <param name="Scaling">Where the 1/p correction is applied.</param>
internal sealed record SpatialDropoutLayerModel(double Rate, ScalingKind Scaling) : LayerModel
{
    public override bool IsDropout => true;

    public override Shape OutputShape(Shape input) => input;

    public override string Describe() => $"SpatialDropout({Literals.Probability(Rate)})";

    public override PlannedLayer Plan(PlanContext context) => new SpatialDropoutLayer(context, this);
}

/// <summary>Spatial dropout: the mask is [batch, channels]; a kept channel keeps all its pixels.</summary>
internal sealed class SpatialDropoutLayer : PlannedLayer
{
    private readonly Buffer _gradient;

    public SpatialDropoutLayer(PlanContext context, SpatialDropoutLayerModel layer) : base(context)
    {
        string name = Names.Camel(Previous!.Title) + "SpatialDropout";
        Dropout = new DropoutPlan($"Spatial dropout after {Previous.Title}", name, name + "Mask", (int)InputShape.Size, InputShape.Channels,
            layer.Rate, layer.Scaling, what: "channels");
        _gradient = new Buffer("d" + Names.Pascal(name), (int)InputShape.Size, $"d(loss)/d({Dropout.Title} output)");
    }

    public DropoutPlan Dropout { get; }
    public override Shape OutputShape => InputShape;
    public override Buffer Output => Dropout.Output;
    public override string Title => Dropout.Title;
    public override Buffer? Gradient => NeedsGradient ? _gradient : null;
    public override bool BackwardReadsMasks => WritesInputGradient;
    public override IEnumerable<DropoutPlan> Masks() => [Dropout];

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Dropout.Output.Name, "SpatialDropout", InputShape, InputShape, "", Rate: Dropout.Rate, Inverted: Dropout.Inverted)];

    public override IEnumerable<Buffer> Buffers()
    {
        yield return Dropout.Mask;
        yield return Dropout.Output;
        if (Gradient is not null) yield return Gradient;
    }

    private string Apply(string destination, string source, string mask) =>
        $"{Names.Kernels}.SpatialDropout.Apply({destination}, {source}, {mask}, batchSize, {InputShape.Channels}, {InputShape.PixelsPerChannel});";

    public override void WriteForward(CodeWriter w)
    {
        w.Line();
        using (Dropout.OpenTrainingBranch(w))
            w.Line(Apply(Dropout.Output.Name, Source.Name, "mask"));
        Dropout.WriteInference(w, Source.Name, Dropout.Output.Name);
    }

    public override void WriteBackward(CodeWriter w)
    {
        if (!WritesInputGradient) return;
        Buffer before = Previous!.Gradient!;
        w.Line();
        Dropout.WriteBackward(w, _gradient.Name, before.Name, Apply(before.Name, _gradient.Name, $"Rows({Dropout.Mask.Field}, {Dropout.Mask.Width})"),
            $"var {before.Name} = Rows({before.Field}, {before.Width});");
    }
}
