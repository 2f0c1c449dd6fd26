using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>[Dropout(rate)]: per-unit dropout, on the input, after a Dense (fused into it) or after an image layer.</summary>
internal sealed class DropoutKind : LayerKind
{
    public override string AttributeName => "CompiledNets.DropoutAttribute";
    public override string Name => "Dropout";

    public override LayerModel Parse(LayerContext context)
    {
        double rate = context.Rate(context.Double(0));
        ScalingKind scaling = context.Named("Scaling", ScalingKind.AtInference, "DropoutScaling");
        switch (context.Previous)
        {
            case DropoutLayerModel previous:
                double combined = 1 - (1 - previous.Rate) * (1 - rate);
                context.Report(Descriptors.DropoutAfterDropout, LayerContext.Format(combined));
                break;
            case { IsDropout: true } other:
                context.Report(Descriptors.LayerOrder, "Dropout", $"[{other.Describe()}]", "two dropout layers in a row drop twice; keep one of them");
                break;
        }
        return new DropoutLayerModel(rate, scaling);
    }
}

/// <param name="Rate">Drop probability, in [0, 1).</param>
/// <param name="Scaling">Where the 1/p correction is applied.</param>
internal sealed record DropoutLayerModel(double Rate, ScalingKind Scaling) : LayerModel
{
    public override bool IsDropout => true;

    public override Shape OutputShape(Shape input) => input;

    public override string Describe() => $"Dropout({Literals.Probability(Rate)})";

    public override PlannedLayer Plan(PlanContext context) => new StandaloneDropoutLayer(context, this);
}

/// <summary>
/// The mask and output buffers of one dropout-family layer and the code every form of it shares: sampling the mask,
/// the comment, scaling. Used by a dropout fused into a Dense, a standalone one, and spatial dropout (whose mask has
/// one value per channel).
/// </summary>
internal sealed class DropoutPlan
{
    public DropoutPlan(string title, string output, string mask, int width, int maskWidth, double rate, ScalingKind scaling, string what = "units",
        string? maskDescription = null)
    {
        Title = title;
        Rate = rate;
        Inverted = scaling == ScalingKind.Inverted;
        What = what;
        string scaled = Inverted ? $"kept {what} scaled by 1/p" : $"kept {what} unscaled";
        Mask = new Buffer(mask, maskWidth, maskDescription ?? $"{title} mask: {scaled}, 0 where dropped");
        Output = new Buffer(output, width, $"{title} output");
    }

    public string Title { get; }
    public double Rate { get; }
    public bool Inverted { get; }
    /// <summary>What one mask value drops: "units" or "channels".</summary>
    public string What { get; }
    public Buffer Mask { get; }
    public Buffer Output { get; }
    public double Keep => 1 - Rate;

    public string Comment => Inverted
        ? $"// {Title}: rate {Literals.Probability(Rate)}, keep p = {Literals.Probability(Keep)}; inverted: kept {What} divided by p while training, identity at inference"
        : $"// {Title}: rate {Literals.Probability(Rate)}, keep p = {Literals.Probability(Keep)}; kept {What} pass unchanged while training, all scaled by p at inference";

    /// <summary>
    /// Writes the comment, the output rows, and opens an <c>if (training)</c> block that has sampled the mask (unless the
    /// caller supplied one) into a local named <c>mask</c>.
    /// </summary>
    public CodeWriter.Block OpenTrainingBranch(CodeWriter w)
    {
        w.Line(Comment);
        w.Line($"var {Output.Name} = Rows({Output.Field}, {Output.Width});");
        CodeWriter.Block block = w.Open("if (training)");
        string kept = Inverted ? Literals.Float(1 / Keep) : "1f";
        w.Line($"var mask = Rows({Mask.Field}, {Mask.Width});");
        w.Line("if (sampleMasks)");
        w.Line($"    {Names.Kernels}.Dropout.SampleMask(mask, keepProbability: {Literals.Float(Keep)}, keptValue: {kept}, ref _masks);");
        return block;
    }

    /// <summary>The inference branch: a copy (inverted) or the scaling by p.</summary>
    public void WriteInference(CodeWriter w, string source, string destination)
    {
        using (w.Open("else"))
        {
            if (Inverted)
                w.Line($"{source}.CopyTo({destination});");
            else
                w.Line($"{Names.Tensor}.Multiply({source}, {Literals.Float(Keep)}, {destination});");
        }
    }

    /// <summary>
    /// Backward through the dropout: <paramref name="training"/> writes the masked gradient (per unit or per channel),
    /// the other branch is the inference scaling; <paramref name="destination"/> may be <paramref name="source"/>.
    /// </summary>
    public void WriteBackward(CodeWriter w, string source, string destination, string training, string? declaration = null)
    {
        w.Line($"// {Title}: the gradient flows through kept {What} only, scaled as in Forward");
        if (declaration is not null) w.Line(declaration);
        using (w.Open("if (_training)"))
            w.Line(training);
        if (Inverted && source == destination)
            return;
        WriteInferenceBackward(w, source, destination);
    }

    private void WriteInferenceBackward(CodeWriter w, string source, string destination)
    {
        using (w.Open("else"))
        {
            if (Inverted)
                w.Line($"{source}.CopyTo({destination});");
            else
                w.Line($"{Names.Tensor}.Multiply({source}, {Literals.Float(Keep)}, {destination});");
        }
    }
}

/// <summary>A dropout that no Dense absorbed: on the network's input, or after an image layer (per element).</summary>
internal sealed class StandaloneDropoutLayer : PlannedLayer
{
    private readonly Buffer? _gradient;

    public StandaloneDropoutLayer(PlanContext context, DropoutLayerModel layer) : base(context)
    {
        int width = (int)InputShape.Size;
        Dropout = Previous is null
            ? new DropoutPlan("Input dropout", "inputDropped", "inputMask", width, width, layer.Rate, layer.Scaling)
            : new DropoutPlan($"Dropout after {Previous.Title}", Names.Camel(Previous.Title) + "Dropout", Names.Camel(Previous.Title) + "DropoutMask", width, width, layer.Rate, layer.Scaling);
        _gradient = new Buffer("d" + Names.Pascal(Dropout.Output.Name), width, $"d(loss)/d({Dropout.Title} output)");
    }

    public DropoutPlan Dropout { get; }
    public override Shape OutputShape => InputShape;
    public override Buffer Output => Dropout.Output;
    public override string Title => Dropout.Title;
    public override Buffer? Gradient => NeedsGradient ? _gradient : null;
    public override bool BackwardReadsMasks => WritesInputGradient;
    public override IEnumerable<DropoutPlan> Masks() => [Dropout];

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Previous is null ? "inputDropout" : Dropout.Output.Name, "Dropout", InputShape, InputShape, "", Rate: Dropout.Rate, Inverted: Dropout.Inverted)];

    public override IEnumerable<Buffer> Buffers()
    {
        yield return Dropout.Mask;
        yield return Dropout.Output;
        if (Gradient is not null) yield return Gradient;
    }

    public override void WriteForward(CodeWriter w)
    {
        w.Line();
        using (Dropout.OpenTrainingBranch(w))
            w.Line($"{Names.Tensor}.Multiply({Source.Name}, mask, {Dropout.Output.Name});");
        Dropout.WriteInference(w, Source.Name, Dropout.Output.Name);
    }

    public override void WriteBackward(CodeWriter w)
    {
        if (!WritesInputGradient) return;
        Buffer before = Previous!.Gradient!;
        w.Line();
        Dropout.WriteBackward(w, Gradient!.Name, before.Name,
            $"{Names.Tensor}.Multiply({Gradient.Name}, Rows({Dropout.Mask.Field}, {Dropout.Mask.Width}), {before.Name});",
            $"var {before.Name} = Rows({before.Field}, {before.Width});");
    }
}
