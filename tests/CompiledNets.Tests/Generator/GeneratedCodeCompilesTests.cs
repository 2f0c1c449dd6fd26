using System.Linq;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Generated code must compile without a single warning (warning level 9999, XML docs checked), since users
/// build with warnings as errors.
/// </summary>
public class GeneratedCodeCompilesTests
{
    [Theory]
    [InlineData(NetworkSources.Reference, 1)]
    [InlineData(NetworkSources.TestNetworks, 5)]
    [InlineData(NetworkSources.InputDropout, 1)]
    [InlineData(NetworkSources.MeanSquaredError, 1)]
    [InlineData(NetworkSources.InvertedScaling, 1)]
    [InlineData(NetworkSources.PartialRecord, 1)]
    [InlineData(NetworkSources.GlobalNamespace, 1)]
    [InlineData(NetworkSources.TutorialInit, 1)]
    public void Compiles_without_warnings(string source, int networks) => AssertCleanBuild(source, networks);

    [Fact]
    public void Single_dense_layer_compiles_without_warnings() => AssertCleanBuild(NetworkSources.SingleDense, 1);

    [Theory]
    [InlineData("None")]
    [InlineData("ReLU")]
    [InlineData("Tanh")]
    [InlineData("Sigmoid")]
    [InlineData("SELU")]
    public void Every_activation_compiles_without_warnings(string activation) => AssertCleanBuild($$"""
        using CompiledNets;
        namespace Samples;
        [Network(3)]
        [Dense(17, Activation.{{activation}})]
        [Dropout(0.5)]
        [Dense(4, Activation.{{activation}})]
        [Dense(2)]
        public partial class ActivationNet;
        """, 1);

    [Theory]
    [InlineData("[Network(1, Loss = LossFunction.MeanSquaredError)] [Dense(1)]")]
    [InlineData("[Network(1)] [Dense(3)]")]
    [InlineData("[Network(17)] [Dense(1, Activation.Sigmoid)] [Dropout(0.5)] [Dense(2)]")]
    [InlineData("[Network(3)] [Dense(17, Activation.ReLU)] [Dropout(0.5)] [Dense(1)] [Dense(3)]")]
    [InlineData("[Network(1)] [Dropout(0.5)] [Dense(17, Activation.Tanh)] [Dropout(0.5)] [Dense(3)]")]
    [InlineData("[Network(3, Loss = LossFunction.MeanSquaredError)] [Dense(1)] [Dropout(0.5)]")]
    [InlineData("[Network(17)] [Dense(3, WeightInit = WeightInit.HeNormal)] [Dense(17, Activation.ReLU, WeightInit = WeightInit.GlorotUniform)] [Dense(2, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.5, BiasInit = -0.25)]")]
    public void Odd_widths_compile_without_warnings(string attributes) => AssertCleanBuild($$"""
        using CompiledNets;
        namespace Samples;
        {{attributes}}
        public partial class WidthNet;
        """, 1);

    private static void AssertCleanBuild(string source, int networks)
    {
        GeneratorRun run = TestCompilation.Run(source);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(networks, run.Sources.Length);
        Diagnostic[] problems = run.OutputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(problems.Length == 0, "Diagnostics:\n" + string.Join("\n", problems.Select(d => d.ToString())));
    }
}
