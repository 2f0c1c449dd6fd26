using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using CsCheck;

namespace CompiledNets.Tests.Properties;

/// <summary>CsCheck generators of valid network declarations.</summary>
internal static class NetworkGen
{
    /// <summary>Widths around the vector sizes (8 for Vector256, 16 for Vector512) and their multiples, where kernels switch between vector loop and tail.</summary>
    private static readonly int[] s_boundaryWidths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64];

    /// <summary>1..64: half uniform, half at the vector-width boundaries.</summary>
    public static readonly Gen<int> Width = Gen.Frequency((1, Gen.Int[1, 64]), (1, Gen.OneOf(s_boundaryWidths)));

    /// <summary>
    /// A dense layer: any width and activation; usually the default initialization, sometimes an explicit one (truncated
    /// normal σ up to 0.3, so activations stay O(1)) and a bias init in [−0.5, 0.5].
    /// </summary>
    public static readonly Gen<DenseSpec> Dense =
        from units in Width
        // Not SELU: the scalar reference and the kink handling of ValidNetworkCheck know these four (SELU has its own tests).
        from activation in Gen.OneOf(new[] { Activation.None, Activation.ReLU, Activation.Tanh, Activation.Sigmoid })
        from explicitActivation in Gen.Bool
        from init in Gen.Int[0, 9]
        from stdDev in Gen.Int[5, 30]
        from writeBias in Gen.Int[0, 3]
        from bias in Gen.Int[-50, 50]
        select new DenseSpec(
            units,
            activation,
            init switch { 6 => WeightInit.HeNormal, 7 => WeightInit.GlorotUniform, 8 => WeightInit.TruncatedNormal, 9 => WeightInit.Auto, _ => null },
            init == 8 ? Literal.Double(stdDev / 100.0) : null,
            writeBias == 0 ? Literal.Double(bias / 100.0) : null,
            writeBias == 0 ? bias / 100.0 : 0,
            explicitActivation);

    /// <summary>A dropout: rate 0 (keeps everything) one time in eight, else 0.05..0.80; either scaling rule.</summary>
    public static readonly Gen<DropoutSpec> Dropout =
        from rate in Gen.Frequency((1, Gen.Const(0)), (7, Gen.Int[5, 80]))
        from scaling in Gen.Enum<DropoutScaling>()
        from explicitScaling in Gen.Bool
        select DropoutSpec.Of(rate / 100.0, scaling, explicitScaling);

    private static readonly Gen<string> s_declaration = Gen.Frequency(
        (6, Gen.Const("public partial class")),
        (1, Gen.Const("internal partial class")),
        (1, Gen.Const("public sealed partial class")),
        (1, Gen.Const("public partial record")),
        (1, Gen.Const("internal sealed partial record")));

    /// <summary>
    /// A valid network: 1 to 5 dense layers, a dropout in each allowed place (on the inputs, after any dense layer,
    /// including the last) with probability 0.45, either loss (softmax cross-entropy gets at least 2 outputs).
    /// </summary>
    public static Gen<NetworkSpec> Valid(string name) =>
        from inputs in Width
        from denseCount in Gen.Int[1, 5]
        from dense in Dense.Array[denseCount]
        from dropoutSlots in Gen.Int[0, 99].Array[denseCount + 1]
        from dropouts in Dropout.Array[denseCount + 1]
        from loss in Gen.Enum<LossFunction>()
        from explicitLoss in Gen.Bool
        from classes in Gen.Int[2, 64]
        from declaration in s_declaration
        from oneList in Gen.Int[0, 4]
        from ns in Gen.Int[0, 5]
        select Build(name, inputs, dense, dropoutSlots, dropouts, loss, explicitLoss, classes, declaration, oneList == 0) with
        {
            // File-scoped (usually), block-scoped nested, or the global namespace.
            Namespace = ns switch { 4 => "PropertyNets.Block.Scoped", 5 => null, _ => "PropertyNets" },
            BlockNamespace = ns == 4,
        };

    private static NetworkSpec Build(string name, int inputs, DenseSpec[] dense, int[] dropoutSlots, DropoutSpec[] dropouts,
        LossFunction loss, bool explicitLoss, int classes, string declaration, bool oneList)
    {
        if (loss == LossFunction.SoftmaxCrossEntropy && dense[^1].Units == 1)
            dense[^1] = dense[^1] with { Units = classes };
        var layers = ImmutableArray.CreateBuilder<LayerSpec>();
        for (int slot = 0; slot <= dense.Length; slot++)
        {
            if (slot > 0) layers.Add(dense[slot - 1]);
            if (dropoutSlots[slot] < 45) layers.Add(dropouts[slot]);
        }
        return new NetworkSpec(name, inputs, loss, explicitLoss, layers.ToImmutable())
        {
            Declaration = declaration,
            OneAttributeList = oneList,
        };
    }
}
