using System;
using System.Linq;
using CompiledNets.Generator;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Every CNN descriptor, reached by a declaration that makes exactly that mistake: reported once, as an error,
/// at the offending attribute or class name, with no generated code and no generator exception.
/// </summary>
public class DiagnosticTests
{
    /// <summary>(id, the source text the diagnostic must point at, the declaration).</summary>
    public static readonly TheoryData<string, string, string> Cases = new()
    {
        { "CNN0001", "NotPartialNet", "[Network(4)] [Dense(2)] public class NotPartialNet;" },
        { "CNN0002", "NoLayersNet", "[Network(4)] public partial class NoLayersNet;" },
        { "CNN0002", "OnlyDropoutNet", "[Network(4)] [Dropout(0.5)] public partial class OnlyDropoutNet;" },
        { "CNN0003", "Network(0)", "[Network(0)] [Dense(2)] public partial class NoInputsNet;" },
        { "CNN0003", "Network(-3)", "[Network(-3)] [Dense(2)] public partial class NegativeInputsNet;" },
        { "CNN0004", "Dense(0)", "[Network(4)] [Dense(0)] [Dense(2)] public partial class NoUnitsNet;" },
        { "CNN0004", "Dense(-1, Activation.ReLU)", "[Network(4)] [Dense(-1, Activation.ReLU)] [Dense(2)] public partial class NegativeUnitsNet;" },
        { "CNN0005", "Dropout(1)", "[Network(4)] [Dense(3)] [Dropout(1)] [Dense(2)] public partial class RateOneNet;" },
        { "CNN0005", "Dropout(-0.1)", "[Network(4)] [Dropout(-0.1)] [Dense(2)] public partial class NegativeRateNet;" },
        { "CNN0005", "Dropout(double.NaN)", "[Network(4)] [Dense(3)] [Dropout(double.NaN)] [Dense(2)] public partial class NaNRateNet;" },
        { "CNN0005", "GaussianDropout(1)", "[Network(4)] [Dense(3)] [GaussianDropout(1)] [Dense(2)] public partial class GaussianRateOneNet;" },
        { "CNN0005", "GaussianDropout(-0.5)", "[Network(4)] [GaussianDropout(-0.5)] [Dense(2)] public partial class GaussianNegativeRateNet;" },
        { "CNN0006", "Dropout(0.2)", "[Network(4)] [Dense(3)] [Dropout(0.5)] [Dropout(0.2)] [Dense(2)] public partial class TwoDropoutsNet;" },
        { "CNN0006", "Dropout(0.3)", "[Network(4)] [Dropout(0.1)] [Dropout(0.3)] [Dense(2)] public partial class TwoInputDropoutsNet;" },
        { "CNN0007", "Dense(2)", "[Network(4)] [Dense(3)] public partial class SplitNet; [Dense(2)] public partial class SplitNet;" },
        { "CNN0008", "Dense(1)", "[Network(4)] [Dense(3)] [Dense(1)] public partial class OneClassNet;" },
        { "CNN0009", "InnerNet", "public partial class Outer { [Network(4)] [Dense(2)] public partial class InnerNet; }" },
        { "CNN0010", "GenericNet", "[Network(4)] [Dense(2)] public partial class GenericNet<T>;" },
        { "CNN0011", "StaticNet", "[Network(4)] [Dense(2)] public static partial class StaticNet;" },
        { "CNN0012", "Dense(3, (Activation)42)", "[Network(4)] [Dense(3, (Activation)42)] [Dense(2)] public partial class BadActivationNet;" },
        { "CNN0012", "Dropout(0.5, Scaling = (DropoutScaling)7)", "[Network(4)] [Dense(3)] [Dropout(0.5, Scaling = (DropoutScaling)7)] [Dense(2)] public partial class BadScalingNet;" },
        { "CNN0012", "Network(4, Loss = (LossFunction)5)", "[Network(4, Loss = (LossFunction)5)] [Dense(2)] public partial class BadLossNet;" },
        { "CNN0012", "Dense(2, WeightInit = (WeightInit)9)", "[Network(4)] [Dense(2, WeightInit = (WeightInit)9)] public partial class BadInitNet;" },
        { "CNN0013", "Dense(2, WeightStdDev = -1)", "[Network(4)] [Dense(2, WeightStdDev = -1)] public partial class NegativeStdDevNet;" },
        { "CNN0013", "Dense(2, WeightStdDev = 0)", "[Network(4)] [Dense(2, WeightStdDev = 0)] public partial class ZeroStdDevNet;" },
        { "CNN0013", "Dense(2, WeightStdDev = double.PositiveInfinity)", "[Network(4)] [Dense(2, WeightStdDev = double.PositiveInfinity)] public partial class InfiniteStdDevNet;" },
        { "CNN0013", "Dense(2, BiasInit = double.NaN)", "[Network(4)] [Dense(2, BiasInit = double.NaN)] public partial class NaNBiasNet;" },
        { "CNN0013", "Dense(2, BiasInit = double.NegativeInfinity)", "[Network(4)] [Dense(2, BiasInit = double.NegativeInfinity)] public partial class InfiniteBiasNet;" },
        { "CNN0014", "Dense(3)", "[Dense(3)] public partial class NotANetwork;" },
        { "CNN0014", "Dropout(0.5)", "[Dropout(0.5)] public class AlsoNotANetwork;" },
        { "CNN0015", "Network(100000)", "[Network(100000)] [Dense(100000)] public partial class HugeNet;" },
        { "CNN0015", "Network(2147483647, Loss = LossFunction.MeanSquaredError)", "[Network(2147483647, Loss = LossFunction.MeanSquaredError)] [Dense(1)] public partial class WideInputNet;" },
        { "CNN0016", "PrimaryNet", "[Network(4)] [Dense(2)] public partial class PrimaryNet(int size) { /** <summary>Size.</summary> */ public int Size => size; }" },
        { "CNN0016", "PositionalNet", "[Network(4)] [Dense(2)] public partial record PositionalNet(int Size);" },
        { "CNN0017", "Forward", "[Network(4)] [Dense(2)] public partial class Forward;" },
        { "CNN0017", "Dense1Weights", "[Network(4)] [Dense(2)] public partial class Dense1Weights;" },
        { "CNN0017", "Threads", "[Network(4)] [Dense(2)] public partial class Threads;" },
        { "CNN0017", "_threads", "[Network(4)] [Dense(2)] public partial class _threads;" },
        { "CNN0017", "s_conv1", "[Network(1, 6, 6)] [Conv2D(2, 3)] [Dense(2)] public partial class s_conv1;" },
        { "CNN0017", "_pool1Winners", "[Network(1, 6, 6)] [Conv2D(2, 3)] [MaxPool2D(2)] [Dense(2)] public partial class _pool1Winners;" },
        { "CNN0018", "Conv2D(2, 3)", "[Network(16)] [Conv2D(2, 3)] [Dense(2)] public partial class FlatConvNet;" },
        { "CNN0018", "MaxPool2D(2)", "[Network(1, 8, 8)] [Conv2D(2, 3)] [Dense(4)] [MaxPool2D(2)] [Dense(2)] public partial class PoolAfterDenseNet;" },
        { "CNN0018", "Conv2D(4, 1)", "[Network(1, 8, 8)] [Dense(4)] [Dropout(0.5)] [Conv2D(4, 1)] [Dense(2)] public partial class ConvAfterDropoutNet;" },
        { "CNN0019", "Conv2D(2, 5)", "[Network(1, 4, 4)] [Conv2D(2, 5)] [Dense(2)] public partial class BigKernelNet;" },
        { "CNN0019", "MaxPool2D(4)", "[Network(1, 8, 3)] [Conv2D(2, 1)] [MaxPool2D(4)] [Dense(2)] public partial class BigWindowNet;" },
        { "CNN0020", "Conv2D(0, 3)", "[Network(1, 8, 8)] [Conv2D(0, 3)] [Dense(2)] public partial class NoFiltersNet;" },
        { "CNN0020", "Conv2D(2, 3, Stride = 0)", "[Network(1, 8, 8)] [Conv2D(2, 3, Stride = 0)] [Dense(2)] public partial class ZeroStrideNet;" },
        { "CNN0020", "Conv2D(2, -3)", "[Network(1, 8, 8)] [Conv2D(2, -3)] [Dense(2)] public partial class NegativeKernelNet;" },
        { "CNN0020", "MaxPool2D(2, Stride = -1)", "[Network(1, 8, 8)] [Conv2D(2, 3)] [MaxPool2D(2, Stride = -1)] [Dense(2)] public partial class NegativePoolStrideNet;" },
        { "CNN0020", "MaxPool2D(0)", "[Network(1, 8, 8)] [Conv2D(2, 3)] [MaxPool2D(0)] [Dense(2)] public partial class NoWindowNet;" },
        { "CNN0021", "SpatialDropout(0.5)", "[Network(1, 8, 8)] [SpatialDropout(0.5)] [Conv2D(2, 3)] [Dense(2)] public partial class SpatialInputNet;" },
        { "CNN0021", "SpatialDropout(0.25)", "[Network(1, 8, 8)] [Conv2D(2, 3)] [Dense(4)] [SpatialDropout(0.25)] [Dense(2)] public partial class SpatialAfterDenseNet;" },
        { "CNN0021", "Dropout(0.5)", "[Network(1, 8, 8)] [Conv2D(2, 3)] [SpatialDropout(0.2)] [Dropout(0.5)] [Dense(2)] public partial class DropoutAfterSpatialNet;" },
        { "CNN0021", "SpatialDropout(0.3)", "[Network(1, 8, 8)] [Conv2D(2, 3)] [Dropout(0.2)] [SpatialDropout(0.3)] [Dense(2)] public partial class SpatialAfterDropoutNet;" },
        { "CNN0021", "GaussianDropout(0.5)", "[Network(4)] [Dense(3)] [Dropout(0.2)] [GaussianDropout(0.5)] [Dense(2)] public partial class GaussianAfterDropoutNet;" },
        { "CNN0021", "Dropout(0.2)", "[Network(4)] [GaussianDropout(0.5)] [Dropout(0.2)] [Dense(2)] public partial class DropoutAfterGaussianNet;" },
        { "CNN0022", "Network(0, 28, 28)", "[Network(0, 28, 28)] [Dense(2)] public partial class NoChannelsNet;" },
        { "CNN0023", "Network(4, Weights = \"none.safetensors\")", "[Network(4, Weights = \"none.safetensors\")] [Dense(2)] public partial class NoWeightsFileNet;" },
        { "CNN0026", "GaussianNoise(-0.1)", "[Network(4)] [GaussianNoise(-0.1)] [Dense(2)] public partial class NegativeNoiseNet;" },
        { "CNN0026", "GaussianNoise(double.NaN)", "[Network(4)] [Dense(3)] [GaussianNoise(double.NaN)] [Dense(2)] public partial class NaNNoiseNet;" },
        { "CNN0026", "GaussianNoise(double.PositiveInfinity)", "[Network(4)] [Dense(3)] [GaussianNoise(double.PositiveInfinity)] [Dense(2)] public partial class InfiniteNoiseNet;" },
        { "CNN0026", "GaussianNoise(1e300)", "[Network(4)] [GaussianNoise(1e300)] [Dense(2)] public partial class FloatOverflowNoiseNet;" },
        { "CNN0005", "AlphaDropout(1)", "[Network(4)] [AlphaDropout(1)] [Dense(2)] public partial class AlphaRateOneNet;" },
        { "CNN0021", "AlphaDropout(0.1)", "[Network(4)] [Dense(3, Activation.SELU)] [Dropout(0.2)] [AlphaDropout(0.1)] [Dense(2)] public partial class AlphaAfterDropoutNet;" },
        { "CNN0028", "Dense(2, MaxNorm = 0)", "[Network(4)] [Dense(2, MaxNorm = 0)] public partial class ZeroMaxNormNet;" },
        { "CNN0028", "Dense(3, MaxNorm = -3)", "[Network(4)] [Dense(3, MaxNorm = -3)] [Dense(2)] public partial class NegativeMaxNormNet;" },
        { "CNN0028", "Dense(2, MaxNorm = double.NaN)", "[Network(4)] [Dense(2, MaxNorm = double.NaN)] public partial class NaNMaxNormNet;" },
        { "CNN0028", "Dense(2, MaxNorm = double.PositiveInfinity)", "[Network(4)] [Dense(2, MaxNorm = double.PositiveInfinity)] public partial class InfiniteMaxNormNet;" },
        { "CNN0028", "Conv2D(2, 3, MaxNorm = -0.5)", "[Network(1, 8, 8)] [Conv2D(2, 3, MaxNorm = -0.5)] [Dense(2)] public partial class NegativeConvMaxNormNet;" },
        { "CNN0028", "Dense(2, MaxNorm = 1e-50)", "[Network(4)] [Dense(2, MaxNorm = 1e-50)] public partial class FloatZeroMaxNormNet;" },
        { "CNN0031", "ConcreteDropout(0)", "[Network(4)] [ConcreteDropout(0)] [Dense(2)] public partial class ZeroConcreteNet;" },
        { "CNN0031", "ConcreteDropout(1)", "[Network(4)] [Dense(3)] [ConcreteDropout(1)] [Dense(2)] public partial class OneConcreteNet;" },
        { "CNN0031", "ConcreteDropout(-0.5)", "[Network(4)] [ConcreteDropout(-0.5)] [Dense(2)] public partial class NegativeConcreteNet;" },
        { "CNN0031", "ConcreteDropout(double.NaN)", "[Network(4)] [ConcreteDropout(double.NaN)] [Dense(2)] public partial class NaNConcreteNet;" },
        { "CNN0031", "ConcreteDropout(0.1, WeightRegularizer = -1e-6)", "[Network(4)] [ConcreteDropout(0.1, WeightRegularizer = -1e-6)] [Dense(2)] public partial class NegativeWeightRegularizerNet;" },
        { "CNN0031", "ConcreteDropout(0.1, DropoutRegularizer = double.NaN)", "[Network(4)] [ConcreteDropout(0.1, DropoutRegularizer = double.NaN)] [Dense(2)] public partial class NaNDropoutRegularizerNet;" },
        { "CNN0031", "ConcreteDropout(0.1, WeightRegularizer = double.PositiveInfinity)", "[Network(4)] [ConcreteDropout(0.1, WeightRegularizer = double.PositiveInfinity)] [Dense(2)] public partial class InfiniteWeightRegularizerNet;" },
        { "CNN0031", "ConcreteDropout(0.1, DropoutRegularizer = 1e300)", "[Network(4)] [ConcreteDropout(0.1, DropoutRegularizer = 1e300)] [Dense(2)] public partial class FloatOverflowRegularizerNet;" },
        { "CNN0032", "ConcreteDropout(0.1)", "[Network(4)] [Dense(3)] [ConcreteDropout(0.1)] public partial class ConcreteLastNet;" },
        { "CNN0032", "ConcreteDropout(0.2)", "[Network(1, 6, 6)] [ConcreteDropout(0.2)] [MaxPool2D(2)] [Dense(2)] public partial class ConcreteBeforePoolNet;" },
        { "CNN0021", "ConcreteDropout(0.1)", "[Network(4)] [Dense(3)] [Dropout(0.2)] [ConcreteDropout(0.1)] [Dense(2)] public partial class ConcreteAfterDropoutNet;" },
        { "CNN0022", "Network(1, 65536, 65536)", "[Network(1, 65536, 65536)] [Dense(2)] public partial class HugeImageNet;" },
        { "CNN0029", "Dense(3, DropConnect = 1)", "[Network(4)] [Dense(3, DropConnect = 1)] [Dense(2)] public partial class DropConnectOneNet;" },
        { "CNN0029", "Dense(2, DropConnect = -0.1)", "[Network(4)] [Dense(2, DropConnect = -0.1)] public partial class NegativeDropConnectNet;" },
        { "CNN0029", "Dense(2, DropConnect = double.NaN)", "[Network(4)] [Dense(2, DropConnect = double.NaN)] public partial class NaNDropConnectNet;" },
        { "CNN0029", "Dense(2, DropConnect = 0.5, DropConnectSamples = 0)", "[Network(4)] [Dense(2, DropConnect = 0.5, DropConnectSamples = 0)] public partial class NoSamplesNet;" },
        { "CNN0029", "Dense(3, Activation.ReLU, DropConnect = 0.5, DropConnectSamples = -4)", "[Network(4)] [Dense(3, Activation.ReLU, DropConnect = 0.5, DropConnectSamples = -4)] [Dense(2)] public partial class NegativeSamplesNet;" },
        { "CNN0012", "Dense(2, DropConnect = 0.5, DropConnectInference = (DropConnectInference)7)", "[Network(4)] [Dense(2, DropConnect = 0.5, DropConnectInference = (DropConnectInference)7)] public partial class UndefinedInferenceNet;" },
    };

    /// <summary>(id, the source text the warning must point at, the declaration): warned about, and still generated.</summary>
    public static readonly TheoryData<string, string, string> WarningCases = new()
    {
        { "CNN0027", "AlphaDropout(0.1)", "[Network(4)] [Dense(3, Activation.ReLU)] [AlphaDropout(0.1)] [Dense(2)] public partial class AlphaAfterReLUNet;" },
        { "CNN0027", "AlphaDropout(0.2)", "[Network(4)] [Dense(3)] [AlphaDropout(0.2)] [Dense(2)] public partial class AlphaAfterLinearNet;" },
        { "CNN0027", "AlphaDropout(0.3)", "[Network(1, 6, 6)] [Conv2D(2, 3, Activation.Tanh)] [AlphaDropout(0.3)] [Dense(2)] public partial class AlphaAfterTanhConvNet;" },
        { "CNN0027", "AlphaDropout(0.1)", "[Network(1, 6, 6)] [Conv2D(2, 3, Activation.SELU)] [MaxPool2D(2)] [AlphaDropout(0.1)] [Dense(2)] public partial class AlphaAfterPoolNet;" },
        { "CNN0027", "AlphaDropout(0.1)", "[Network(4)] [Dense(3, Activation.SELU)] [GaussianNoise(0.1)] [AlphaDropout(0.1)] [Dense(2)] public partial class AlphaAfterNoiseNet;" },
        { "CNN0030", "Dense(2, DropConnectInference = DropConnectInference.MeanWeight)", "[Network(4)] [Dense(2, DropConnectInference = DropConnectInference.MeanWeight)] public partial class InferenceOnlyNet;" },
        { "CNN0030", "Dense(3, DropConnectSamples = 16)", "[Network(4)] [Dense(3, DropConnectSamples = 16)] [Dense(2)] public partial class SamplesOnlyNet;" },
        { "CNN0030", "Dense(2, DropConnect = 0, DropConnectSamples = 8)", "[Network(4)] [Dense(2, DropConnect = 0, DropConnectSamples = 8)] public partial class ZeroRateSamplesNet;" },
    };

    [Theory]
    [MemberData(nameof(WarningCases))]
    public void Warning_is_reported_once_at_the_declaration_and_the_network_is_still_generated(string id, string locatedText, string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(locatedText, run.LocatedText(diagnostic));
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.DoesNotContain("{", message, StringComparison.Ordinal);
        Assert.Contains(id == "CNN0030" ? "of [Dense] has no effect without DropConnect" : "SELU", message, StringComparison.Ordinal);
        Assert.Single(run.Sources);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Theory]
    [InlineData("[Network(4)] [AlphaDropout(0.1)] [Dense(3, Activation.SELU)] [AlphaDropout(0.2)] [Dense(2)] public partial class SeluAlphaNet;")]
    [InlineData("[Network(1, 6, 6)] [Conv2D(2, 3, Activation.SELU)] [AlphaDropout(0.3)] [Dense(2)] public partial class SeluConvAlphaNet;")]
    public void Alpha_dropout_after_SELU_or_on_the_input_is_not_warned_about(string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mistake_is_reported_once_at_the_offending_declaration(string id, string locatedText, string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(locatedText, run.LocatedText(diagnostic));
        Assert.DoesNotContain("{", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Every_descriptor_has_a_case()
    {
        // CNN0024 and CNN0025 need a weights file: CompiledWeightsTests reaches them.
        string[] tested = Cases.Select(row => (string)row[0]).Concat(WarningCases.Select(row => (string)row[0]))
            .Concat(CompiledWeightsTests.Problems.Select(row => (string)row[1])).Distinct().ToArray();

        Assert.All(Descriptors.All, descriptor => Assert.Contains(descriptor.Id, tested));
        Assert.All(tested, id => Assert.Contains(Descriptors.All, descriptor => descriptor.Id == id));
    }

    [Fact]
    public void Layers_in_another_file_are_reported_in_that_file()
    {
        GeneratorRun run = TestCompilation.Run(
            "using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(3)] public partial class SplitNet;",
            "using CompiledNets;\nnamespace Samples;\n[Dropout(0.5)] [Dense(2)] public partial class SplitNet;");

        run.AssertNoGeneratorException();
        Assert.Equal(new[] { "CNN0007", "CNN0007" }, run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("Source1.cs", d.Location.GetLineSpan().Path));
        Assert.Equal(new[] { "Dropout(0.5)", "Dense(2)" }, run.GeneratorDiagnostics.Select(run.LocatedText));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Several_mistakes_are_all_reported()
    {
        GeneratorRun run = TestCompilation.Run("""
            using CompiledNets;
            namespace Samples;
            [Network(0)]
            [Dense(0)]
            [Dropout(1.5)]
            [Dropout(0.5)]
            [Dense(1)]
            public class ManyMistakesNet;
            """);

        run.AssertNoGeneratorException();
        Assert.Equal(
            new[] { "CNN0001", "CNN0003", "CNN0004", "CNN0005", "CNN0006", "CNN0008" },
            run.GeneratorDiagnostics.Select(d => d.Id).OrderBy(id => id, StringComparer.Ordinal));
        Assert.Empty(run.Sources);
    }
}
