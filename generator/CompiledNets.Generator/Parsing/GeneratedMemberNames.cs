using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace CompiledNets.Generator.Parsing;

/// <summary>
/// Names the emitter gives to members of a network. A class cannot have a member with its own name (CS0542),
/// so a network called one of these is reported instead of emitted. Keep in step with NetworkEmitter.
/// </summary>
internal static class GeneratedMemberNames
{
    private static readonly HashSet<string> Fixed = new()
    {
        "InputSize", "OutputSize", "ParameterCount", "WidestLayer", "MaxBatchSize", "LossFunction",
        "Parameters", "Gradients", "Forward", "Loss", "Backward", "TrainStep", "Predict", "Reseed", "Rows",
        "ParameterTensors", "MaskStreamState", "PredictSamples", "DropoutMask", "ForwardWithCurrentMasks",
        "s_parameterTensors", "_sampleProbabilities",
        "_maxBatchSize", "_parameters", "_gradients", "_input", "_inputMask", "_inputDropped", "_masks",
        "_batchSize", "_training", "Threads", "_threads", "_parametersFinite", "_parametersChecked",
    };

    private static readonly Regex PerLayer = new(
        @"^(Dense\d+(Weights|Bias|WeightGradients|BiasGradients)|_dense\d+|_dDense\d+|_dropout\d+|_dropout\d+Mask)$",
        RegexOptions.CultureInvariant);

    public static bool IsReserved(string name) => Fixed.Contains(name) || PerLayer.IsMatch(name);
}
