using System.Collections.Generic;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>[Dense(units, activation)]: a fully connected layer; after an image layer it reads the image flattened in [C, H, W] order.</summary>
internal sealed class DenseKind : LayerKind
{
    public override string AttributeName => "CompiledNets.DenseAttribute";
    public override string Name => "Dense";

    public override LayerModel Parse(LayerContext context)
    {
        int units = context.Int(0);
        if (units < 1)
            context.Report(Descriptors.UnitsNotPositive, units);
        ActivationKind activation = context.Activation(1);
        return new DenseLayerModel(units, activation, WeightSettings.Parse(context, activation), ParseMaxNorm(context, Name), ParseDropConnect(context));
    }

    /// <summary>
    /// The DropConnect settings when DropConnect is given with a rate in (0, 1); a rate outside [0, 1) or fewer than one
    /// sample is CNN0029, DropConnectInference or DropConnectSamples without a DropConnect rate above 0 the warning CNN0030.
    /// </summary>
    internal static DropConnectModel? ParseDropConnect(LayerContext context)
    {
        bool hasRate = false, hasInference = false, hasSamples = false;
        foreach (var named in context.Attribute.NamedArguments)
        {
            hasRate |= named.Key == "DropConnect";
            hasInference |= named.Key == "DropConnectInference";
            hasSamples |= named.Key == "DropConnectSamples";
        }
        double rate = context.NamedDouble("DropConnect", 0);
        bool valid = true;
        if (hasRate && !(rate >= 0 && rate < 1 && (float)(1 - rate) > 0))
        {
            context.Report(Descriptors.InvalidDropConnect, "DropConnect", "is the probability of dropping a weight and must be in [0, 1)", LayerContext.Format(rate));
            valid = false;
        }
        int samples = context.NamedInt("DropConnectSamples", DropConnectModel.DefaultSamples);
        if (samples < 1)
        {
            context.Report(Descriptors.InvalidDropConnect, "DropConnectSamples", "must be at least 1", samples);
            valid = false;
        }
        var inference = context.Named("DropConnectInference", DropConnectInferenceKind.MomentMatching, "DropConnectInference");
        bool active = valid && hasRate && rate > 0;
        if (!active && !(hasRate && !valid))
        {
            if (hasInference) context.Report(Descriptors.DropConnectSettingWithoutDropConnect, "DropConnectInference");
            if (hasSamples && samples >= 1) context.Report(Descriptors.DropConnectSettingWithoutDropConnect, "DropConnectSamples");
        }
        return active ? new DropConnectModel(rate, inference, samples) : null;
    }

    /// <summary>
    /// The MaxNorm setting of a Dense or Conv2D attribute when it is given (checked as the float the generated code
    /// will use; reported on the attribute of <paramref name="kind"/> otherwise), or null.
    /// </summary>
    internal static double? ParseMaxNorm(LayerContext context, string kind)
    {
        foreach (var named in context.Attribute.NamedArguments)
        {
            if (named.Key != "MaxNorm") continue;
            double maxNorm = context.NamedDouble("MaxNorm", 0);
            if (!((float)maxNorm > 0) || float.IsInfinity((float)maxNorm))
            {
                context.Report(Descriptors.InvalidMaxNorm, kind, LayerContext.Format(maxNorm));
                return null;
            }
            return maxNorm;
        }
        return null;
    }
}

/// <param name="Units">Outputs of the layer.</param>
/// <param name="Activation">The nonlinearity applied to them.</param>
/// <param name="Weights">How its weights and bias start.</param>
/// <param name="MaxNorm">The max-norm bound on each unit's incoming weights, or null for none.</param>
/// <param name="DropConnect">The DropConnect settings, or null for none.</param>
internal sealed record DenseLayerModel(int Units, ActivationKind Activation, WeightSettings Weights, double? MaxNorm = null, DropConnectModel? DropConnect = null) : LayerModel
{
    public override Shape OutputShape(Shape input) => Shape.Flat(Units);

    public override bool HasParameters => true;

    public override decimal ParameterCount(Shape input) => (decimal)input.Size * Units + Units;

    public override string Describe() =>
        (Activation == ActivationKind.None ? $"Dense({Units}" : $"Dense({Units}, {Activation}")
        + (MaxNorm is double c ? $", MaxNorm = {LayerContext.Format(c)}" : "")
        + (DropConnect is { } dropConnect ? dropConnect.Describe() : "") + ")";

    public override PlannedLayer Plan(PlanContext context) => new DenseLayer(context, this);
}

/// <summary>[Dense(..., DropConnect = Rate, DropConnectInference = Inference, DropConnectSamples = Samples)].</summary>
/// <param name="Rate">The drop probability of each weight, in (0, 1).</param>
/// <param name="Inference">The inference rule.</param>
/// <param name="Samples">Gaussian samples per unit for moment matching.</param>
internal sealed record DropConnectModel(double Rate, DropConnectInferenceKind Inference, int Samples)
{
    /// <summary>The runtime's DropConnect.DefaultSamples (a test checks they agree).</summary>
    public const int DefaultSamples = 64;

    public double Keep => 1 - Rate;

    /// <summary>Whether inference samples Gaussians (moment matching with an activation; without one the average is the mean).</summary>
    public bool SamplesGaussians(ActivationKind activation) => Inference == DropConnectInferenceKind.MomentMatching && activation != ActivationKind.None;

    public string Describe() =>
        $", DropConnect = {LayerContext.Format(Rate)}"
        + (Inference == DropConnectInferenceKind.MeanWeight ? ", DropConnectInference = MeanWeight" : "")
        + (Inference == DropConnectInferenceKind.MomentMatching && Samples != DefaultSamples ? $", DropConnectSamples = {Samples}" : "");

    /// <summary>The rule in words, for LayerInfo.Details and comments.</summary>
    public string Details => Inference == DropConnectInferenceKind.MeanWeight
        ? $"DropConnect {Literals.Probability(Rate)} (keep p = {Literals.Probability(Keep)}), mean-weight inference"
        : $"DropConnect {Literals.Probability(Rate)} (keep p = {Literals.Probability(Keep)}), moment-matching inference with {Samples} samples";
}

/// <summary>
/// A dense layer, with the dropout declared right after it fused in: one kernel writes its activations and the
/// dropped-out (or, at inference, scaled) copy; backward, the input-gradient kernel also applies the epilogue of the
/// layer before (its dropout mask and activation derivative) when that layer has one.
/// </summary>
internal sealed class DenseLayer : PlannedLayer
{
    public DenseLayer(PlanContext context, DenseLayerModel layer) : base(context)
    {
        Layer = layer;
        Number = context.Number("Dense");
        Inputs = (int)InputShape.Size;
        long offset = context.ParameterOffset;
        WeightTensor = new TensorPlan($"dense{Number}.weight", offset, [Inputs, Units]);
        BiasTensor = new TensorPlan($"dense{Number}.bias", offset + WeightTensor.Length, [Units]);
        Values = new Buffer("dense" + Number, Units, $"{Title} output, {Names.ActivationComment(layer.Activation)}");
        DenseGradient = new Buffer("dDense" + Number, Units, $"d(loss)/d({Title} output), then d(loss)/d(pre-activation)");
        if (context.Following is DropoutLayerModel dropout)
        {
            context.TakeFollowing();
            Dropout = new DropoutPlan($"Dropout {Number}", "dropout" + Number, $"dropout{Number}Mask", Units, Units, dropout.Rate, dropout.Scaling);
        }
        if (layer.DropConnect is { } dropConnect && dropConnect.SamplesGaussians(layer.Activation))
            Moments = new Buffer($"dropConnect{Number}Moments", 3 * Units, $"{Title} moment-matching inference: per example the means, standard deviations and one sample of the pre-activations");
    }

    /// <summary>The DropConnect settings, or null.</summary>
    private DropConnectModel? DropConnect => Layer.DropConnect;
    /// <summary>The scratch rows of moment-matching inference (with an activation), or null.</summary>
    private Buffer? Moments { get; }
    private string KeyField => $"_dropConnect{Number}Key";
    private string NormalsField => $"s_dropConnect{Number}Normals";

    public DenseLayerModel Layer { get; }
    public int Number { get; }
    public int Inputs { get; }
    public int Units => Layer.Units;
    /// <summary>The activations, before any dropout.</summary>
    public Buffer Values { get; }
    public Buffer DenseGradient { get; }
    public DropoutPlan? Dropout { get; }
    public TensorPlan WeightTensor { get; }
    public TensorPlan BiasTensor { get; }
    private string Prefix => "Dense" + Number;

    public override string Title => "Dense " + Number;
    public override Shape OutputShape => Shape.Flat(Units);
    public override Buffer Output => Dropout?.Output ?? Values;
    public override bool HasParameters => true;
    public override Buffer? Gradient => DenseGradient;
    public override Epilogue? Epilogue => new(Title, Layer.Activation, Values, Dropout);
    public override bool FoldsEpilogueOf(PlannedLayer previous) => DropConnect is null && previous.Epilogue is not null;
    public override bool BackwardReadsMasks => Dropout is not null || DropConnect is not null;
    public override bool SamplesMasks => Dropout is not null || DropConnect is not null;

    public override void WriteFields(CodeWriter w)
    {
        if (DropConnect is not null)
            w.Line($"private ulong {KeyField}; // {Title}'s DropConnect mask key, drawn from the mask stream by each training Forward: its masks are a function of it, the example and the weight");
    }

    public override void WriteStatics(CodeWriter w)
    {
        if (DropConnect is not { } dropConnect || !dropConnect.SamplesGaussians(Layer.Activation)) return;
        w.Line($"// {Title}'s moment-matching inference: {dropConnect.Samples} fixed standard normal draws per unit ([{dropConnect.Samples}, {Units}], antithetic pairs), the same for every Predict.");
        w.Line($"private static readonly float[] {NormalsField} = {Names.Kernels}.DropConnect.CreateNormals({dropConnect.Samples}, {Units}, seed: {Number});");
        w.Line();
    }
    public override IEnumerable<DropoutPlan> Masks() => Dropout is null ? [] : [Dropout];
    public override IEnumerable<TensorPlan> Tensors() => [WeightTensor, BiasTensor];

    public override IEnumerable<LayerInfoPlan> Infos()
    {
        string details = DropConnect is null ? MaxNormDetails : MaxNormDetails.Length == 0 ? DropConnect.Details : MaxNormDetails + ", " + DropConnect.Details;
        yield return new LayerInfoPlan(Values.Name, "Dense", InputShape, OutputShape, details, Layer.Activation, Tensors: [WeightTensor, BiasTensor])
        {
            Initializer = DropConnect is null ? null
                : $"DropConnectRate = {Literals.Number(DropConnect.Rate)}, DropConnectInference = global::CompiledNets.DropConnectInference.{DropConnect.Inference}"
                  + (DropConnect.Inference == DropConnectInferenceKind.MomentMatching ? $", DropConnectSamples = {DropConnect.Samples}" : ""),
        };
        if (Dropout is not null)
            yield return new LayerInfoPlan(Dropout.Output.Name, "Dropout", OutputShape, OutputShape, "", Rate: Dropout.Rate, Inverted: Dropout.Inverted);
    }
    public override string? TensorLayout => "dense{n}.weight [in, out] and dense{n}.bias [out]";

    /// <summary>The layer's settings in words for <c>LayerInfo.Details</c>: its max-norm bound, if any.</summary>
    private string MaxNormDetails => Layer.MaxNorm is double c ? "max-norm " + Bound(c) : "";

    /// <summary>The bound as the float the generated code uses, in invariant culture, without the suffix.</summary>
    internal static string Bound(double c) => Literals.Float(c).TrimEnd('f');

    /// <summary>With MaxNorm, each unit's incoming weights rescaled to the bound once the optimizer has stepped.</summary>
    public override void WriteAfterOptimizerStep(CodeWriter w)
    {
        if (Layer.MaxNorm is not double c) return;
        w.Line($"{Names.Kernels}.MaxNorm.Apply({Prefix}Weights, {Inputs}, {Units}, {Literals.Float(c)}); // {Title}: each unit's incoming weights (a column of [{Inputs}, {Units}]) kept at norm <= {Bound(c)}");
    }

    public override IEnumerable<Buffer> Buffers()
    {
        yield return Values;
        yield return DenseGradient;
        if (Moments is not null)
            yield return Moments;
        if (Dropout is not null)
        {
            yield return Dropout.Mask;
            yield return Dropout.Output;
        }
    }

    public override void WriteAccessors(CodeWriter w)
    {
        w.Line($"// {Title}: weights [{Inputs}, {Units}] at {WeightTensor.Offset}, bias [{Units}] at {BiasTensor.Offset}.");
        WeightSettings.WriteAccessors(w, Prefix, WeightTensor, BiasTensor);
    }

    public override void WriteInit(CodeWriter w) => Layer.Weights.Write(w, Prefix, Inputs, Units);

    private string Header => $"// {Title}: {InputShape.Size} -> {Units}, {Names.ActivationComment(Layer.Activation)}";

    public override void WriteForward(CodeWriter w)
    {
        w.Line();
        w.Line(Header);
        w.Line($"var {Values.Name} = Rows({Values.Field}, {Units});");
        if (DropConnect is not null)
        {
            WriteDropConnectForward(w, DropConnect);
            return;
        }
        string product = $"{Names.Kernels}.Dense.Forward({Values.Name}, {Source.Name}, {Prefix}Weights, {Prefix}Bias, batchSize, {Inputs}, {Units}, {Names.Activation(Layer.Activation)}";
        if (Dropout is null)
        {
            w.Line($"{product}, weightsFinite: _parametersFinite, threads: _threads);");
            return;
        }
        using (Dropout.OpenTrainingBranch(w))
            w.Line($"{product}, dropped: {Dropout.Output.Name}, mask: mask, weightsFinite: _parametersFinite, threads: _threads);");
        using (w.Open("else"))
            w.Line($"{product}, dropped: {Dropout.Output.Name}, scale: {(Dropout.Inverted ? "1f" : Literals.Float(Dropout.Keep))}, weightsFinite: _parametersFinite, threads: _threads);");
    }

    /// <summary>
    /// DropConnect's forward: while training, the kernel draws each example's weight masks from the layer's key (a fresh
    /// key per training Forward); at inference, moment matching or the mean weights. A dropout after it runs on its output.
    /// </summary>
    private void WriteDropConnectForward(CodeWriter w, DropConnectModel dropConnect)
    {
        string keep = Literals.Float(dropConnect.Keep);
        string arguments = $"{Source.Name}, {Prefix}Weights, {Prefix}Bias, batchSize, {Inputs}, {Units}, {Names.Activation(Layer.Activation)}";
        w.Line($"// DropConnect: rate {Literals.Probability(dropConnect.Rate)}, keep p = {Literals.Probability(dropConnect.Keep)}; each weight kept per example while training (unscaled), {(dropConnect.Inference == DropConnectInferenceKind.MeanWeight ? "mean weights (p·W)" : "moment matching")} at inference");
        using (w.Open("if (training)"))
        {
            w.Line("if (sampleMasks)");
            w.Line($"    {KeyField} = _masks.NextUInt64();");
            w.Line($"{Names.Kernels}.DropConnect.Forward({Values.Name}, {arguments}, keepProbability: {keep}, key: {KeyField}, threads: _threads, weightsFinite: _parametersFinite);");
        }
        using (w.Open("else"))
        {
            if (Moments is not null)
                w.Line($"{Names.Kernels}.DropConnect.ForwardMomentMatching({Values.Name}, Rows({Moments.Field}, {Moments.Width}), {arguments}, keepProbability: {keep}, {NormalsField}, samples: {dropConnect.Samples}, threads: _threads, weightsFinite: _parametersFinite);");
            else
                w.Line($"{Names.Kernels}.DropConnect.ForwardMeanWeight({Values.Name}, {arguments}, keepProbability: {keep}, threads: _threads, weightsFinite: _parametersFinite);{(dropConnect.Inference == DropConnectInferenceKind.MomentMatching ? " // without an activation the moment-matched average is the mean" : "")}");
        }
        if (Dropout is null) return;
        using (Dropout.OpenTrainingBranch(w))
            w.Line($"{Names.Tensor}.Multiply({Values.Name}, mask, {Dropout.Output.Name});");
        Dropout.WriteInference(w, Values.Name, Dropout.Output.Name);
    }

    /// <summary>DropConnect's backward: one kernel regenerates the masks and writes the weight, bias and (when needed) input gradients.</summary>
    private void WriteDropConnectBackward(CodeWriter w, DropConnectModel dropConnect)
    {
        string d = DenseGradient.Name;
        string dInput = "default";
        if (WritesInputGradient)
        {
            Buffer before = Previous!.Gradient!;
            w.Line($"var {before.Name} = Rows({before.Field}, {before.Width}); // d(loss)/d({Previous.Title} output): the layer before goes through its own epilogue");
            dInput = before.Name;
        }
        w.Line($"{Names.Kernels}.DropConnect.Backward({Prefix}WeightGradients, {Prefix}BiasGradients, {dInput}, {d}, Rows({Source.Field}, {Inputs}), {Prefix}Weights, batchSize, {Inputs}, {Units}, keepProbability: {Literals.Float(dropConnect.Keep)}, key: {KeyField}, masked: _training, threads: _threads); // the masks of the last training Forward; after an inference one, the mean-weight gradient");
    }

    public override void WriteBackward(CodeWriter w)
    {
        string d = DenseGradient.Name;
        // Unless the layer after this one already went through them, undo the dropout and the activation here.
        if (!GradientIsPreActivation && Dropout is not null)
        {
            w.Line();
            Dropout.WriteBackward(w, d, d, $"{Names.Tensor}.Multiply({d}, Rows({Dropout.Mask.Field}, {Dropout.Mask.Width}), {d});");
        }
        w.Line();
        w.Line(Header);
        if (!GradientIsPreActivation && Layer.Activation != ActivationKind.None)
            w.Line($"{Names.Kernels}.Activations.{Layer.Activation}Backward({d}, Rows({Values.Field}, {Units}));");
        if (DropConnect is not null)
        {
            WriteDropConnectBackward(w, DropConnect);
            return;
        }
        w.Line($"{Names.Kernels}.Dense.BackwardParameters({Prefix}WeightGradients, {Prefix}BiasGradients, {d}, Rows({Source.Field}, {Inputs}), batchSize, {Inputs}, {Units}, threads: _threads);");
        if (WritesInputGradient)
            WriteInputGradient(w, Previous!);
    }

    /// <summary>
    /// The gradient passed to the layer before, in one kernel: back through the weights, then, when the layer before has
    /// an epilogue, through its dropout (the mask while training, the inference scaling otherwise) and its activation,
    /// so that it arrives as d(loss)/d(pre-activation).
    /// </summary>
    private void WriteInputGradient(CodeWriter w, PlannedLayer previous)
    {
        Buffer before = previous.Gradient!;
        Epilogue? epilogue = previous.Epilogue;
        DropoutPlan? dropout = epilogue?.Dropout;
        ActivationKind activation = epilogue?.Activation ?? ActivationKind.None;
        string through = dropout is null ? "" : $", {dropout.Title} ({(dropout.Inverted ? "kept units only, scaled by 1/p" : "kept units only")})";
        string derivative = activation == ActivationKind.None ? "" : $" and {epilogue!.Title}'s {activation}";
        w.Line();
        w.Line($"// Back through {Title}'s weights{through}{derivative}");
        w.Line($"var {before.Name} = Rows({before.Field}, {before.Width});");
        string product = $"{Names.Kernels}.Dense.BackwardInput({before.Name}, {DenseGradient.Name}, {Prefix}Weights, batchSize, {Inputs}, {Units}";
        string withActivation = epilogue is null ? product : $"{product}, {Names.Activation(activation)}, Rows({epilogue.Values.Field}, {epilogue.Values.Width})";
        const string Tail = ", weightsFinite: _parametersFinite, threads: _threads);";
        if (dropout is null)
        {
            w.Line((activation == ActivationKind.None ? product : withActivation) + Tail);
            return;
        }
        using (w.Open("if (_training)"))
            w.Line($"{withActivation}, mask: Rows({dropout.Mask.Field}, {dropout.Mask.Width}){Tail}");
        using (w.Open("else"))
        {
            w.Line(dropout.Inverted
                ? (activation == ActivationKind.None ? product : withActivation) + Tail
                : $"{withActivation}, scale: {Literals.Float(dropout.Keep)}{Tail}");
        }
    }
}
