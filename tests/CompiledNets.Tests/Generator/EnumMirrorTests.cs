using System;
using System.Linq;
using CompiledNets.Generator.Model;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// The generator cannot reference the runtime, so it mirrors the runtime's enums; attribute arguments arrive as
/// numbers, so a mirror that drifts would silently build a different network.
/// </summary>
public class EnumMirrorTests
{
    [Theory]
    [InlineData(typeof(ActivationKind), typeof(Activation))]
    [InlineData(typeof(LossKind), typeof(LossFunction))]
    [InlineData(typeof(ScalingKind), typeof(DropoutScaling))]
    [InlineData(typeof(WeightInitKind), typeof(WeightInit))]
    [InlineData(typeof(PaddingKind), typeof(Padding))]
    [InlineData(typeof(DropConnectInferenceKind), typeof(DropConnectInference))]
    public void Mirror_has_the_runtime_enums_names_and_values(Type mirror, Type runtime)
    {
        Assert.Equal(Members(runtime), Members(mirror));
        Assert.Equal(Enum.GetUnderlyingType(runtime), Enum.GetUnderlyingType(mirror));
    }

    [Fact]
    public void The_generator_knows_the_runtime_default_of_DropConnectSamples()
    {
        Assert.Equal(CompiledNets.Kernels.DropConnect.DefaultSamples, CompiledNets.Generator.Layers.DropConnectModel.DefaultSamples);
        Assert.Equal(CompiledNets.Kernels.DropConnect.DefaultSamples, new DenseAttribute(1).DropConnectSamples);
    }

    private static (string Name, long Value)[] Members(Type enumType) =>
        Enum.GetNames(enumType)
            .Select(name => (name, Convert.ToInt64(Enum.Parse(enumType, name), System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(member => member.Item2)
            .ThenBy(member => member.name, StringComparer.Ordinal)
            .ToArray();
}
