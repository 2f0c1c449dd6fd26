using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Layers;

/// <summary>
/// How a layer's weights and biases start (the WeightInit, WeightStdDev and BiasInit settings that Dense and Conv2D
/// share): parsed and checked once, emitted once.
/// </summary>
/// <param name="Init">How weights start (Auto already resolved: He-normal for ReLU, Glorot-uniform otherwise).</param>
/// <param name="StdDev">Standard deviation for the truncated normal.</param>
/// <param name="Bias">The value every bias starts at.</param>
internal sealed record WeightSettings(WeightInitKind Init, double StdDev, double Bias)
{
    public static WeightSettings Parse(LayerContext context, ActivationKind activation)
    {
        WeightInitKind init = context.Named("WeightInit", WeightInitKind.Auto, "WeightInit");
        if (init == WeightInitKind.Auto)
            init = activation == ActivationKind.ReLU ? WeightInitKind.HeNormal : WeightInitKind.GlorotUniform;

        // Checked as the float the generated code will use: 1e39 is a finite double but an infinite float,
        // and 1e-50 is a positive double but a zero float.
        double stdDev = context.NamedDouble("WeightStdDev", 0.1);
        if (!((float)stdDev > 0) || float.IsInfinity((float)stdDev))
            context.Report(Descriptors.InvalidInitSetting, "WeightStdDev", "positive and finite as a float", LayerContext.Format(stdDev));

        double bias = context.NamedDouble("BiasInit", 0);
        if (float.IsNaN((float)bias) || float.IsInfinity((float)bias))
            context.Report(Descriptors.InvalidInitSetting, "BiasInit", "finite as a float", LayerContext.Format(bias));
        return new WeightSettings(init, stdDev, bias);
    }

    /// <summary>Initializes the spans <c>{prefix}Weights</c> and <c>{prefix}Bias</c> from the local stream <c>weights</c>.</summary>
    public void Write(CodeWriter w, string prefix, long fanIn, long fanOut)
    {
        switch (Init)
        {
            case WeightInitKind.HeNormal:
                w.Line($"{Names.Kernels}.Init.HeNormal({prefix}Weights, fanIn: {fanIn}, ref weights);");
                break;
            case WeightInitKind.LeCunNormal:
                w.Line($"{Names.Kernels}.Init.LeCunNormal({prefix}Weights, fanIn: {fanIn}, ref weights);");
                break;
            case WeightInitKind.TruncatedNormal:
                w.Line($"{Names.Kernels}.Init.TruncatedNormal({prefix}Weights, stdDev: {Literals.Float(StdDev)}, ref weights);");
                break;
            default:
                w.Line($"{Names.Kernels}.Init.GlorotUniform({prefix}Weights, fanIn: {fanIn}, fanOut: {fanOut}, ref weights);");
                break;
        }
        if (Bias != 0)
            w.Line($"{prefix}Bias.Fill({Literals.Float(Bias)});");
    }

    /// <summary>The four private spans over a layer's weights and bias and their gradients.</summary>
    public static void WriteAccessors(CodeWriter w, string prefix, TensorPlan weights, TensorPlan bias)
    {
        w.Line($"private {Names.Span} {prefix}Weights => new(_parameters, {weights.Offset}, {weights.Length});");
        w.Line($"private {Names.Span} {prefix}Bias => new(_parameters, {bias.Offset}, {bias.Length});");
        w.Line($"private {Names.Span} {prefix}WeightGradients => new(_gradients, {weights.Offset}, {weights.Length});");
        w.Line($"private {Names.Span} {prefix}BiasGradients => new(_gradients, {bias.Offset}, {bias.Length});");
        w.Line();
    }
}
