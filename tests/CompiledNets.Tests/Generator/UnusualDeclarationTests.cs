using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Declarations beyond the plain case: the generator must either emit code that compiles or report why not.
/// It must never emit code with errors in it, and never throw. The skipped tests are known generator bugs.
/// </summary>
public class UnusualDeclarationTests
{
    [Theory]
    [InlineData("[Network(4)] [Dense(2)] public abstract partial class AbstractNet;", 1)]
    [InlineData("[Network(4)] [Dense(2)] public sealed partial class SealedNet;", 1)]
    [InlineData("[Network(4)] [Dense(2)] internal partial class InternalNet;", 1)]
    [InlineData("[Network(4)] [Dense(2)] file partial class FileLocalNet;", 1)]
    [InlineData("[Network(4)] [Dense(2)] public partial record class RecordClassNet;", 1)]
    [InlineData("[Network(4)] [Dense(2)] public partial class WithBase : System.Collections.Generic.List<int>;", 1)]
    [InlineData("[Network(4)] [Dense(2)] public partial class WithConstructor { /** <summary>Own.</summary> */ public WithConstructor() : this(1) { } }", 1)]
    [InlineData("[Network(4), Dense(3, Activation.ReLU), Dropout(0.5), Dense(2)] public partial class OneAttributeList;", 1)]
    [InlineData("[Network(4)] [Dense(3)] [Dense(2)] [Dropout(0.5)] public partial class TrailingDropout;", 1)]
    [InlineData("[Network(4)] [Dense(units: 2, activation: Activation.Tanh)] public partial class NamedArguments;", 1)]
    [InlineData("[Network(4)] [Dense(2)] public partial class First; [Network(3)] [Dense(2)] public partial class Second;", 2)]
    [InlineData("[Network(4)] [Dense(3, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 1e-3, BiasInit = -1e30)] [Dense(2)] public partial class ExtremeButFloat;", 1)]
    [InlineData("[Network(4)] [Dense(3)] [Dropout(0.999999)] [Dense(2)] public partial class AlmostAllDropped;", 1)]
    [InlineData("[Network(4)] [Dense(3)] [Dropout(0)] [Dense(2)] public partial class NothingDropped;", 1)]
    public void Unusual_but_valid_declaration_compiles_cleanly(string declaration, int networks)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(networks, run.Sources.Length);
        AssertNoErrorsInGeneratedCode(run);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Networks_in_block_namespaces_compile_cleanly()
    {
        GeneratorRun run = TestCompilation.Run("""
            using CompiledNets;
            namespace Outer.Inner
            {
                /// <summary>One.</summary>
                [Network(4)] [Dense(2)] public partial class One;
            }
            namespace Other
            {
                /// <summary>Two, with the same name in another namespace.</summary>
                [Network(4)] [Dense(2)] public partial class One;
            }
            """);

        run.AssertNoGeneratorException();
        Assert.Equal(new[] { "Other.One.", "Outer.Inner.One." }, run.Sources.Select(s => HintPrefix(s.HintName)).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Empty(run.OutputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Theory]
    [InlineData("namespace Samples { [Network(4)] [Dense(2)] public partial class Net; [Network(4)] [Dense(2)] public partial class NET; }")]
    [InlineData("namespace a { [Network(4)] [Dense(2)] public partial class N; } namespace A { [Network(4)] [Dense(2)] public partial class N; }")]
    public void Names_differing_only_in_case_are_both_generated(string declarations)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\n" + declarations);

        run.AssertNoGeneratorException();
        Assert.Equal(2, run.Sources.Length);
        AssertNoErrorsInGeneratedCode(run);
    }

    [Theory]
    [InlineData("namespace Samples { [Network(4)] [Dense(2)] public partial class @class; }")]
    [InlineData("namespace @namespace { [Network(4)] [Dense(2)] public partial class KeywordNamespaceNet; }")]
    public void Keyword_identifiers_are_escaped(string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\n" + declaration);

        run.AssertNoGeneratorException();
        Assert.Single(run.Sources);
        AssertNoErrorsInGeneratedCode(run);
    }

    [Theory]
    [InlineData("Dense(2, BiasInit = 1e39)", "[Network(4)] [Dense(2, BiasInit = 1e39)] public partial class HugeBiasNet;")]
    [InlineData("Dense(2, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 1e39)", "[Network(4)] [Dense(2, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 1e39)] public partial class HugeStdDevNet;")]
    [InlineData("Dense(2, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 1e-50)", "[Network(4)] [Dense(2, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 1e-50)] public partial class TinyStdDevNet;")]
    public void Init_settings_outside_float_range_are_reported(string locatedText, string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("CNN0013", diagnostic.Id);
        Assert.Equal(locatedText, run.LocatedText(diagnostic));
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData("PrimaryNet", "[Network(4)] [Dense(2)] public partial class PrimaryNet(int size) { /** <summary>Size.</summary> */ public int Size => size; }")]
    [InlineData("PositionalNet", "[Network(4)] [Dense(2)] public partial record PositionalNet(int Size);")]
    public void Primary_constructor_is_reported_not_emitted(string className, string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        AssertNoErrorsInGeneratedCode(run);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.StartsWith("CNN", diagnostic.Id, StringComparison.Ordinal);
        Assert.Equal(className, run.LocatedText(diagnostic));
    }

    [Theory]
    [InlineData("Forward")]
    [InlineData("Loss")]
    [InlineData("Predict")]
    [InlineData("Rows")]
    public void Class_named_like_a_generated_member_is_reported(string className)
    {
        GeneratorRun run = TestCompilation.Run($"using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(2)] public partial class {className};");

        run.AssertNoGeneratorException();
        AssertNoErrorsInGeneratedCode(run);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(className, run.LocatedText(diagnostic));
    }

    /// <summary>A hint name without its case-sensitivity hash: "A.B.1234abcd.g.cs" gives "A.B.".</summary>
    private static string HintPrefix(string hintName) => hintName.Substring(0, hintName.Length - "1234abcd.g.cs".Length);

    private static void AssertNoErrorsInGeneratedCode(GeneratorRun run)
    {
        var generatedPaths = run.Sources.Select(s => s.SyntaxTree.FilePath).ToHashSet(StringComparer.Ordinal);
        Diagnostic[] errors = run.OutputDiagnostics
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && generatedPaths.Contains(d.Location.GetLineSpan().Path))
            .ToArray();
        Assert.True(errors.Length == 0, "Diagnostics in generated code:\n" + string.Join("\n", errors.Select(d => d.ToString())));
    }
}
