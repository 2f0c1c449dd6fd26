using Buffer = CompiledNets.Generator.Emitting.Buffer;
using Math = System.Math;
using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// [ConcreteDropout(initialRate)] (Gal, Hron &amp; Kendall 2017): a per-element dropout whose drop probability
/// p = sigmoid(logit) is a trained parameter (tensor concrete{n}.logit), with the relaxed Bernoulli mask of temperature 0.1
/// while training, the identity at inference, and Gal's two regularizer terms (on the next layer's kernel and on p) in the
/// loss. Where [Dropout] may stand, and only directly before a Dense or Conv2D (the layer the weight term reads).
/// </summary>
internal sealed class ConcreteDropoutKind : LayerKind
{
    public override string AttributeName => "CompiledNets.ConcreteDropoutAttribute";
    public override string Name => "ConcreteDropout";

    public override LayerModel Parse(LayerContext context)
    {
        double rate = context.Double(0);
        // The logit of the initial rate must be a finite float: 0 and 1 have infinite logits.
        if (!(rate > 0 && rate < 1) || float.IsInfinity((float)(Math.Log(rate) - Math.Log(1 - rate))))
        {
            context.Report(Descriptors.ConcreteDropoutSetting, "initialRate", LayerContext.Format(rate), "in (0, 1), where its logit log(r) − log(1 − r) is finite");
            rate = 0.5;
        }
        double weight = Regularizer(context, "WeightRegularizer", 1e-6);
        double dropout = Regularizer(context, "DropoutRegularizer", 1e-5);
        NoiseLayer.CheckPlace(context, Name);
        return new ConcreteDropoutLayerModel(rate, weight, dropout);
    }

    private static double Regularizer(LayerContext context, string name, double fallback)
    {
        double value = context.NamedDouble(name, fallback);
        if (value >= 0 && !float.IsInfinity((float)value))
            return value;
        context.Report(Descriptors.ConcreteDropoutSetting, name, LayerContext.Format(value), "finite and not negative (as a float)");
        return fallback;
    }

    /// <summary>
    /// Reports a ConcreteDropout that is not directly followed by a Dense or Conv2D (<paramref name="next"/> is null at the
    /// end of the network): its weight term has no kernel to read.
    /// </summary>
    public static void CheckFollowing(LayerModel layer, LayerModel? next, Microsoft.CodeAnalysis.Location location, List<DiagnosticInfo> diagnostics)
    {
        if (layer is not ConcreteDropoutLayerModel || next is DenseLayerModel or Conv2DLayerModel) return;
        diagnostics.Add(DiagnosticInfo.Create(Descriptors.ConcreteDropoutNotBeforeWeights, location,
            next is null ? "the end of the network" : $"[{next.Describe()}]"));
    }
}

/// <param name="InitialRate">The drop probability training starts from, in (0, 1).</param>
/// <param name="WeightRegularizer">The factor of Σ W² / (1 − p) over the next layer's kernel.</param>
/// <param name="DropoutRegularizer">The factor of D · (p·log p + (1 − p)·log(1 − p)).</param>
internal sealed record ConcreteDropoutLayerModel(double InitialRate, double WeightRegularizer, double DropoutRegularizer) : LayerModel
{
    public override bool IsDropout => true;

    public override bool HasParameters => true;

    public override decimal ParameterCount(Shape input) => 1;

    public override Shape OutputShape(Shape input) => input;

    public override string Describe() => $"ConcreteDropout({Literals.Probability(InitialRate)})";

    /// <summary>The initial logit, log(r) − log(1 − r).</summary>
    public double InitialLogit => Math.Log(InitialRate) - Math.Log(1 - InitialRate);

    public override PlannedLayer Plan(PlanContext context) => new ConcreteDropoutLayer(context, this);
}

/// <summary>
/// The relaxed drop mask z is sampled into the mask buffer (so Backward, the DropoutMask hook and ForwardWithCurrentMasks
/// see it); the output is x·(1 − z)/(1 − p) while training and a copy at inference. Backward writes d/dx, adds the logit's
/// gradient (data and regularizer terms) and the weight term's gradient to the next layer's kernel gradient, which that
/// layer's own backward (run before this one) has just written.
/// </summary>
internal sealed class ConcreteDropoutLayer : PlannedLayer
{
    private readonly ConcreteDropoutLayerModel _layer;
    private readonly Buffer _gradient;

    public ConcreteDropoutLayer(PlanContext context, ConcreteDropoutLayerModel layer) : base(context)
    {
        _layer = layer;
        Width = (int)InputShape.Size;
        Number = context.Number("ConcreteDropout");
        string title = $"Concrete dropout {Number}";
        string name = $"concrete{Number}";
        Logit = new TensorPlan($"concrete{Number}.logit", context.ParameterOffset, [1]);
        Noise = new DropoutPlan(title, name, name + "Mask", Width, Width, layer.InitialRate, ScalingKind.Inverted,
            maskDescription: $"{title} mask: the relaxed drop mask z in (0, 1) per element while training");
        _gradient = new Buffer("dConcrete" + Number, Width, $"d(loss)/d({title} output)");
    }

    public int Number { get; }
    public int Width { get; }
    public TensorPlan Logit { get; }
    public DropoutPlan Noise { get; }
    private string Prefix => "Concrete" + Number;

    public override Shape OutputShape => InputShape;
    public override Buffer Output => Noise.Output;
    public override string Title => Noise.Title;
    public override bool HasParameters => true;
    public override Buffer? Gradient => _gradient;
    public override bool BackwardReadsMasks => true;
    public override IEnumerable<DropoutPlan> Masks() => [Noise];
    public override IEnumerable<TensorPlan> Tensors() => [Logit];
    public override string? TensorLayout => "concrete{n}.logit [1]";

    public override IEnumerable<LayerInfoPlan> Infos() =>
        [new(Noise.Output.Name, "ConcreteDropout", InputShape, InputShape,
            $"learned rate, initial {Literals.Probability(_layer.InitialRate)}, temperature 0.1, weight regularizer {Literals.Number(_layer.WeightRegularizer)}, dropout regularizer {Literals.Number(_layer.DropoutRegularizer)}",
            Rate: _layer.InitialRate, Inverted: true, Tensors: [Logit])];

    public override IEnumerable<Buffer> Buffers()
    {
        yield return Noise.Mask;
        yield return Noise.Output;
        yield return _gradient;
    }

    /// <summary>The layer the dropout feeds: its first tensor is the kernel the weight term reads.</summary>
    private TensorPlan NextKernel
    {
        get
        {
            foreach (TensorPlan tensor in Next!.Tensors()) return tensor;
            throw new System.InvalidOperationException("The parser guarantees a Dense or Conv2D after a ConcreteDropout.");
        }
    }

    private string Settings =>
        $"weightRegularizer: {Literals.Float(_layer.WeightRegularizer)}, dropoutRegularizer: {Literals.Float(_layer.DropoutRegularizer)}, features: {Width}";

    public override void WriteAccessors(CodeWriter w)
    {
        TensorPlan kernel = NextKernel;
        w.Line($"// {Title}: logit at {Logit.Offset}; the weight term reads {Next!.Title}'s kernel {kernel.Name} [{string.Join(", ", kernel.Shape)}] at {kernel.Offset}.");
        w.Line($"private global::System.ReadOnlySpan<float> {Prefix}NextKernel => new(_parameters, {kernel.Offset}, {kernel.Length});");
        w.Line($"private {Names.Span} {Prefix}NextKernelGradients => new(_gradients, {kernel.Offset}, {kernel.Length});");
        w.Line();
        w.Line($"/// <summary>The current drop probability of concrete dropout layer {Number} (on {(Previous is null ? "the input" : Previous.Title + "'s output")}): sigmoid of <c>{Logit.Name}</c>, trained from {Literals.Probability(_layer.InitialRate)}.</summary>");
        w.Line($"public float {Prefix}Rate => {Names.Kernels}.ConcreteDropout.Rate(_parameters[{Logit.Offset}]);");
        w.Line();
    }

    public override void WriteInit(CodeWriter w) =>
        w.Line($"_parameters[{Logit.Offset}] = {Literals.Float(_layer.InitialLogit)}; // {Logit.Name}: log(r) − log(1 − r) for r = {Literals.Probability(_layer.InitialRate)}");

    public override string? LossTerm =>
        $"{Names.Kernels}.ConcreteDropout.Regularizer(_parameters[{Logit.Offset}], {Prefix}NextKernel, {Settings})";

    public override void WriteForward(CodeWriter w)
    {
        string output = Noise.Output.Name;
        w.Line();
        w.Line($"// {Title}: {(Previous is null ? "on the input" : "after " + Previous.Title)}, x·(1 − z)/(1 − p) with the relaxed drop mask z while training (p = sigmoid({Logit.Name})), identity at inference");
        w.Line($"var {output} = Rows({Noise.Output.Field}, {Width});");
        using (w.Open("if (training)"))
        {
            w.Line($"var mask = Rows({Noise.Mask.Field}, {Width});");
            w.Line("if (sampleMasks)");
            w.Line($"    {Names.Kernels}.ConcreteDropout.SampleDropMask(mask, _parameters[{Logit.Offset}], ref _masks);");
            w.Line($"{Names.Kernels}.ConcreteDropout.Forward({output}, {Source.Name}, mask, _parameters[{Logit.Offset}]);");
        }
        using (w.Open("else"))
            w.Line($"{Source.Name}.CopyTo({output});");
    }

    public override void WriteBackward(CodeWriter w)
    {
        Buffer? before = WritesInputGradient ? Previous!.Gradient : null;
        w.Line();
        w.Line($"// {Title}: the gradient through (1 − z)/(1 − p); d/d({Logit.Name}) from the data and both regularizer terms; the weight term's 2·λ·W/(1 − p) into {Next!.Title}'s kernel gradient");
        string dInput = before is null ? "default" : before.Name;
        if (before is not null)
            w.Line($"var {before.Name} = Rows({before.Field}, {before.Width});");
        w.Line($"float {Prefix.ToLowerInvariant()}Logit = {Names.Kernels}.ConcreteDropout.RegularizerBackward({Prefix}NextKernelGradients, {Prefix}NextKernel, _parameters[{Logit.Offset}], {Settings});");
        using (w.Open("if (_training)"))
            w.Line($"{Prefix.ToLowerInvariant()}Logit += {Names.Kernels}.ConcreteDropout.Backward({dInput}, {_gradient.Name}, Rows({Source.Field}, {Width}), Rows({Noise.Mask.Field}, {Width}), _parameters[{Logit.Offset}]);");
        if (before is not null)
        {
            using (w.Open("else"))
                w.Line($"{_gradient.Name}.CopyTo({before.Name});");
        }
        w.Line($"_gradients[{Logit.Offset}] = {Prefix.ToLowerInvariant()}Logit;");
    }
}
