using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>[MaxPool2D(size)]: the largest value of each window of each channel; Stride defaults to the window.</summary>
internal sealed class MaxPool2DKind : LayerKind
{
    public override string AttributeName => "CompiledNets.MaxPool2DAttribute";
    public override string Name => "MaxPool2D";

    public override LayerModel Parse(LayerContext context)
    {
        int size = context.Positive(Name, "Size", context.Int(0));
        int stride = context.NamedInt("Stride", 0);
        if (stride == 0) stride = size; // the attribute's default: windows side by side
        else stride = context.Positive(Name, "Stride", stride);
        var layer = new MaxPool2DLayerModel(size, stride);
        if (context.RequireImage(Name) && !layer.Fits(context.Input))
            context.Report(Descriptors.WindowTooLarge, Name, $"{size}×{size} window", context.Input);
        return layer;
    }
}

/// <param name="Size">Side of the square window.</param>
/// <param name="Stride">Step between windows.</param>
internal sealed record MaxPool2DLayerModel(int Size, int Stride) : LayerModel
{
    public int OutputSide(int input) => input < Size ? 0 : (input - Size) / Stride + 1;

    public bool Fits(Shape input) => OutputSide(input.Height) >= 1 && OutputSide(input.Width) >= 1;

    // A shape that cannot be computed (reported) reads as 1×1.
    public override Shape OutputShape(Shape input) => input.IsImage && Fits(input)
        ? Shape.Image(input.Channels, OutputSide(input.Height), OutputSide(input.Width))
        : Shape.Image(input.Channels, 1, 1);

    public override string Describe() => Stride == Size ? $"MaxPool2D({Size})" : $"MaxPool2D({Size}, stride {Stride})";

    public override PlannedLayer Plan(PlanContext context) => new MaxPool2DLayer(context, this);
}

/// <summary>Max pooling: Forward records which input won each window, Backward sends the gradient there.</summary>
internal sealed class MaxPool2DLayer : PlannedLayer
{
    private readonly Buffer _gradient;

    public MaxPool2DLayer(PlanContext context, MaxPool2DLayerModel layer) : base(context)
    {
        Layer = layer;
        Number = context.Number("MaxPool2D");
        OutputShape = layer.OutputShape(InputShape);
        int size = (int)OutputShape.Size;
        Values = new Buffer("pool" + Number, size, $"{Title} output, {OutputShape}");
        Winners = new Buffer("pool" + Number + "Winners", size, $"{Title}: the index in its example's input of each window's maximum");
        _gradient = new Buffer("dPool" + Number, size, $"d(loss)/d({Title} output)");
    }

    public MaxPool2DLayerModel Layer { get; }
    public int Number { get; }
    public Buffer Values { get; }
    public Buffer Winners { get; }

    public override string Title => "Pool " + Number;
    public override Shape OutputShape { get; }
    public override Buffer Output => Values;
    public override Buffer? Gradient => NeedsGradient ? _gradient : null;
    // No activation and no dropout: a Dense after it writes d(loss)/d(output) straight into its gradient.
    public override Epilogue? Epilogue => new(Title, ActivationKind.None, Values, null);
    public override IEnumerable<Buffer> IndexBuffers() => [Winners];

    /// <summary>
    /// After a ReLU with nothing between (a Conv2D's own activation): the derivative at each window's maximum is whether
    /// this layer's output there is positive, so the backward pass applies it while it sends each gradient to its
    /// maximum, and the pass over the whole (larger) input that the ReLU's backward would make is left out.
    /// </summary>
    public override bool FoldsEpilogueOf(PlannedLayer previous) =>
        previous.Epilogue is { Activation: ActivationKind.ReLU, Dropout: null } epilogue && epilogue.Values == Source;

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Values.Name, "MaxPool2D", InputShape, OutputShape, Settings, Window: Layer.Size, Stride: Layer.Stride)];

    private string Settings => $"{Layer.Size}×{Layer.Size} windows, stride {Layer.Stride}";

    public override IEnumerable<Buffer> Buffers()
    {
        yield return Values;
        if (Gradient is not null) yield return Gradient;
    }

    private string Sizes => $"batchSize, channels: {InputShape.Channels}, height: {InputShape.Height}, width: {InputShape.Width}";

    /// <summary>Whether the convolution before it writes its forward code, pooling inside Predict (see <see cref="Conv2DLayer.PooledBy"/>).</summary>
    public bool FusedWithConvolution => Previous is Conv2DLayer convolution && convolution.PooledBy == this;

    /// <summary>The comment that heads its forward code.</summary>
    public string Header => $"// {Title}: {InputShape} -> {OutputShape}, {Settings}";

    /// <summary>The forward call, recording the winners for Backward.</summary>
    public string ForwardCall =>
        $"{Names.Kernels}.MaxPool2D.Forward({Values.Name}, Indices({Winners.Field}, {Winners.Width}), {Source.Name}, {Sizes}, " +
        $"size: {Layer.Size}, stride: {Layer.Stride}, outHeight: {OutputShape.Height}, outWidth: {OutputShape.Width});";

    public override void WriteForward(CodeWriter w)
    {
        if (FusedWithConvolution) return;
        w.Line();
        w.Line(Header);
        w.Line($"var {Values.Name} = Rows({Values.Field}, {Values.Width});");
        w.Line(ForwardCall);
    }

    /// <summary>
    /// Whether the convolution before takes its weight gradient straight from this layer's gradient and maxima (it is
    /// right before, its ReLU folded here, and nothing needs its input gradient): then this layer writes nothing.
    /// </summary>
    public bool FeedsWeightGradientOf(PlannedLayer previous) =>
        previous == Previous && previous is Conv2DLayer { FirstToNeedGradient: true } && previous.GradientIsPreActivation;

    public string Sizes2D => $"poolHeight: {OutputShape.Height}, poolWidth: {OutputShape.Width}";

    public override void WriteBackward(CodeWriter w)
    {
        if (!WritesInputGradient || FeedsWeightGradientOf(Previous!)) return;
        Buffer before = Previous!.Gradient!;
        w.Line();
        if (Previous!.GradientIsPreActivation)
        {
            w.Line($"// Back through {Title} and {Previous.Title}'s ReLU: each window's gradient goes to its maximum where that is positive");
            w.Line($"var {before.Name} = Rows({before.Field}, {before.Width});");
            w.Line($"{Names.Kernels}.MaxPool2D.BackwardThroughReLU({before.Name}, {_gradient.Name}, Indices({Winners.Field}, {Winners.Width}), " +
                $"Rows({Values.Field}, {Values.Width}), {Sizes}, outHeight: {OutputShape.Height}, outWidth: {OutputShape.Width});");
            return;
        }
        w.Line($"// Back through {Title}: each window's gradient goes to its maximum");
        w.Line($"var {before.Name} = Rows({before.Field}, {before.Width});");
        w.Line($"{Names.Kernels}.MaxPool2D.Backward({before.Name}, {_gradient.Name}, Indices({Winners.Field}, {Winners.Width}), {Sizes}, " +
            $"outHeight: {OutputShape.Height}, outWidth: {OutputShape.Width});");
    }
}
