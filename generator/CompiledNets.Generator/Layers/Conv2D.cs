using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>[Conv2D(filters, kernelSize, activation)]: a 2-D convolution over an image, with Stride and Padding.</summary>
internal sealed class Conv2DKind : LayerKind
{
    public override string AttributeName => "CompiledNets.Conv2DAttribute";
    public override string Name => "Conv2D";

    public override LayerModel Parse(LayerContext context)
    {
        int filters = context.Positive(Name, "Filters", context.Int(0));
        int kernel = context.Positive(Name, "KernelSize", context.Int(1));
        ActivationKind activation = context.Activation(2);
        int stride = context.Positive(Name, "Stride", context.NamedInt("Stride", 1));
        PaddingKind padding = context.Named("Padding", PaddingKind.Valid, "Padding");
        var layer = new Conv2DLayerModel(filters, kernel, stride, padding, activation, WeightSettings.Parse(context, activation),
            DenseKind.ParseMaxNorm(context, Name));
        if (context.RequireImage(Name) && !layer.Fits(context.Input))
            context.Report(Descriptors.WindowTooLarge, Name, $"{kernel}×{kernel} kernel", context.Input);
        return layer;
    }
}

/// <param name="Filters">Output channels.</param>
/// <param name="KernelSize">Side of the square kernel.</param>
/// <param name="Stride">Step between windows.</param>
/// <param name="Padding">Valid (none) or TensorFlow's Same.</param>
/// <param name="Activation">The nonlinearity applied to the outputs.</param>
/// <param name="Weights">How its weights and bias start.</param>
/// <param name="MaxNorm">The max-norm bound on each filter's weights, or null for none.</param>
internal sealed record Conv2DLayerModel(int Filters, int KernelSize, int Stride, PaddingKind Padding, ActivationKind Activation, WeightSettings Weights,
    double? MaxNorm = null)
    : LayerModel
{
    /// <summary>Output rows (or columns) for <paramref name="input"/> rows (or columns); below 1 when the kernel does not fit.</summary>
    public int OutputSide(int input) => Padding == PaddingKind.Same
        ? (input + Stride - 1) / Stride
        : input < KernelSize ? 0 : (input - KernelSize) / Stride + 1;

    /// <summary>Zero rows (or columns) added before the input: half the total, the odd one goes after (TensorFlow).</summary>
    public int PaddingBefore(int input) =>
        Padding == PaddingKind.Same ? System.Math.Max((OutputSide(input) - 1) * Stride + KernelSize - input, 0) / 2 : 0;

    public bool Fits(Shape input) => OutputSide(input.Height) >= 1 && OutputSide(input.Width) >= 1;

    // A shape that cannot be computed (a flat input, a kernel that does not fit: both reported) reads as 1×1.
    public override Shape OutputShape(Shape input) => input.IsImage && Fits(input)
        ? Shape.Image(Filters, OutputSide(input.Height), OutputSide(input.Width))
        : Shape.Image(Filters, 1, 1);

    public override bool HasParameters => true;

    public override decimal ParameterCount(Shape input) => (decimal)Filters * input.Channels * KernelSize * KernelSize + Filters;

    public override string Describe()
    {
        string text = $"Conv2D({Filters}, {KernelSize}" + (Activation == ActivationKind.None ? "" : $", {Activation}");
        if (Stride != 1) text += $", stride {Stride}";
        if (Padding == PaddingKind.Same) text += ", same";
        if (MaxNorm is double c) text += ", MaxNorm = " + LayerContext.Format(c);
        return text + ")";
    }

    public override PlannedLayer Plan(PlanContext context) => new Conv2DLayer(context, this);
}

/// <summary>A convolution: its geometry is a static field, the kernels do the rest.</summary>
internal sealed class Conv2DLayer : PlannedLayer
{
    public Conv2DLayer(PlanContext context, Conv2DLayerModel layer) : base(context)
    {
        Layer = layer;
        Number = context.Number("Conv2D");
        OutputShape = layer.OutputShape(InputShape);
        int k = layer.KernelSize;
        WeightTensor = new TensorPlan($"conv{Number}.weight", context.ParameterOffset, [layer.Filters, InputShape.Channels, k, k]);
        BiasTensor = new TensorPlan($"conv{Number}.bias", context.ParameterOffset + WeightTensor.Length, [layer.Filters]);
        int size = (int)OutputShape.Size;
        Values = new Buffer("conv" + Number, size, $"{Title} output, {OutputShape}, {Names.ActivationComment(layer.Activation)}");
        ConvGradient = new Buffer("dConv" + Number, size, $"d(loss)/d({Title} output), then d(loss)/d(pre-activation)");
    }

    public Conv2DLayerModel Layer { get; }
    public int Number { get; }
    public Buffer Values { get; }
    public Buffer ConvGradient { get; }
    public TensorPlan WeightTensor { get; }
    public TensorPlan BiasTensor { get; }
    private string Prefix => "Conv" + Number;
    private string Geometry => "s_conv" + Number;

    public override string Title => "Conv " + Number;
    public override Shape OutputShape { get; }
    public override Buffer Output => Values;
    public override bool HasParameters => true;
    /// <summary>Whether no layer before this one needs a gradient (so this one writes no input gradient).</summary>
    public bool FirstToNeedGradient => Previous is not { NeedsGradient: true };
    public override Buffer? Gradient => ConvGradient;
    public override Epilogue? Epilogue => new(Title, Layer.Activation, Values, null);
    public override IEnumerable<TensorPlan> Tensors() => [WeightTensor, BiasTensor];

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Values.Name, "Conv2D", InputShape, OutputShape, Settings, Layer.Activation, Window: Layer.KernelSize, Stride: Layer.Stride,
            Padding: Padding(), Tensors: [WeightTensor, BiasTensor])];

    /// <summary>[top, left, bottom, right]: the odd row or column of Same padding goes at the bottom or right.</summary>
    private int[] Padding()
    {
        int top = Layer.PaddingBefore(InputShape.Height), left = Layer.PaddingBefore(InputShape.Width);
        int bottom = System.Math.Max((OutputShape.Height - 1) * Layer.Stride + Layer.KernelSize - InputShape.Height - top, 0);
        int right = System.Math.Max((OutputShape.Width - 1) * Layer.Stride + Layer.KernelSize - InputShape.Width - left, 0);
        return [top, left, bottom, right];
    }

    // The max-norm bound is not among these: ONNX export reads a convolution's geometry back from exactly these three
    // parts of LayerInfo.Details, and the bound is a training setting it has no use for (Describe() names it).
    private string Settings =>
        $"{Layer.KernelSize}×{Layer.KernelSize} kernel, stride {Layer.Stride}, {(Layer.Padding == PaddingKind.Same ? "same" : "valid")} padding";

    /// <summary>With MaxNorm, each filter's weights (a row of [filters, channels·k·k]) rescaled to the bound once the optimizer has stepped.</summary>
    public override void WriteAfterOptimizerStep(CodeWriter w)
    {
        if (Layer.MaxNorm is not double c) return;
        int length = (int)(WeightTensor.Length / Layer.Filters);
        w.Line($"{Names.Kernels}.MaxNorm.ApplyRows({Prefix}Weights, {Layer.Filters}, {length}, {Literals.Float(c)}); // {Title}: each filter's weights (a row of [{Layer.Filters}, {length}]) kept at norm <= {DenseLayer.Bound(c)}");
    }
    public override string? TensorLayout => "conv{n}.weight [filters, channels, k, k] and conv{n}.bias [filters]";
    public override IEnumerable<Buffer> Buffers() => [Values, ConvGradient];

    public override void WriteStatics(CodeWriter w)
    {
        w.Line($"// {Title}: {Describe()}.");
        w.Line($"private static readonly {Names.Kernels}.Conv2DGeometry {Geometry} = new(channels: {InputShape.Channels}, height: {InputShape.Height}, width: {InputShape.Width}, " +
            $"filters: {Layer.Filters}, kernelSize: {Layer.KernelSize}, stride: {Layer.Stride}, padTop: {Layer.PaddingBefore(InputShape.Height)}, padLeft: {Layer.PaddingBefore(InputShape.Width)}, " +
            $"outHeight: {OutputShape.Height}, outWidth: {OutputShape.Width});");
        w.Line();
    }

    public override void WriteAccessors(CodeWriter w)
    {
        w.Line($"// {Title}: weights [{string.Join(", ", WeightTensor.Shape)}] at {WeightTensor.Offset}, bias [{Layer.Filters}] at {BiasTensor.Offset}.");
        WeightSettings.WriteAccessors(w, Prefix, WeightTensor, BiasTensor);
    }

    public override void WriteInit(CodeWriter w)
    {
        long window = (long)Layer.KernelSize * Layer.KernelSize;
        Layer.Weights.Write(w, Prefix, InputShape.Channels * window, Layer.Filters * window);
    }

    private string Describe() => $"{InputShape} -> {OutputShape}, {Settings}, {Names.ActivationComment(Layer.Activation)}";

    /// <summary>
    /// The max pooling right after it, which Predict pools each example's outputs with as they are computed (one
    /// kernel, <c>Conv2D.ForwardMaxPool</c>); null when the next layer is something else.
    /// </summary>
    public MaxPool2DLayer? PooledBy => Next as MaxPool2DLayer;

    public override void WriteForward(CodeWriter w)
    {
        string forward = $"{Names.Kernels}.Conv2D.Forward({Values.Name}, {Source.Name}, {Prefix}Weights, {Prefix}Bias, batchSize, {Geometry}, {Names.Activation(Layer.Activation)}, threads: _threads);";
        w.Line();
        w.Line($"// {Title}: {Describe()}");
        if (PooledBy is not { } pool)
        {
            w.Line($"var {Values.Name} = Rows({Values.Field}, {Values.Width});");
            w.Line(forward);
            return;
        }
        w.Line(pool.Header);
        w.Line($"var {Values.Name} = Rows({Values.Field}, {Values.Width});");
        w.Line($"var {pool.Values.Name} = Rows({pool.Values.Field}, {pool.Values.Width});");
        using (w.Open("if (predicting)"))
        {
            w.Line($"// Predict: each example's outputs pooled while in cache; neither they nor the winners are kept (see Backward)");
            w.Line($"{Names.Kernels}.Conv2D.ForwardMaxPool({pool.Values.Name}, {Source.Name}, {Prefix}Weights, {Prefix}Bias, batchSize, {Geometry}, {Names.Activation(Layer.Activation)}, " +
                $"poolSize: {pool.Layer.Size}, poolStride: {pool.Layer.Stride}, threads: _threads);");
        }
        using (w.Open("else"))
        {
            w.Line(forward);
            w.Line(pool.ForwardCall);
        }
    }

    public override void WriteBackward(CodeWriter w)
    {
        string d = ConvGradient.Name;
        w.Line();
        w.Line($"// {Title}: {Describe()}");
        if (Next is MaxPool2DLayer pool && pool.FeedsWeightGradientOf(this))
        {
            // The output gradient is zero but at the pooling's maxima: the weight gradient sums those alone.
            w.Line($"{Names.Kernels}.Conv2D.BackwardParametersThroughMaxPool({Prefix}WeightGradients, {Prefix}BiasGradients, Rows({ConvGradient.Field}, {ConvGradient.Width}), {pool.Gradient!.Name}, " +
                $"Indices({pool.Winners.Field}, {pool.Winners.Width}), Rows({pool.Values.Field}, {pool.Values.Width}), relu: true, " +
                $"Rows({Source.Field}, {Source.Width}), batchSize, {Geometry}, {pool.Sizes2D}, threads: _threads);");
            return;
        }
        if (!GradientIsPreActivation && Layer.Activation != ActivationKind.None)
            w.Line($"{Names.Kernels}.Activations.{Layer.Activation}Backward({d}, Rows({Values.Field}, {Values.Width}));");
        w.Line($"{Names.Kernels}.Conv2D.BackwardParameters({Prefix}WeightGradients, {Prefix}BiasGradients, {d}, Rows({Source.Field}, {Source.Width}), batchSize, {Geometry}, threads: _threads);");
        if (!WritesInputGradient) return;
        Buffer before = Previous!.Gradient!;
        w.Line();
        w.Line($"// Back through {Title}'s kernels");
        w.Line($"var {before.Name} = Rows({before.Field}, {before.Width});");
        w.Line($"{Names.Kernels}.Conv2D.BackwardInput({before.Name}, {d}, {Prefix}Weights, batchSize, {Geometry}, threads: _threads);");
    }
}
