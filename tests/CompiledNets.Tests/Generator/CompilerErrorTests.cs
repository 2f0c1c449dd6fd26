using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Attributes the compiler itself rejects: the compiler's errors are the whole story. The generator must not
/// throw, must not pile CNN diagnostics on top, and must not emit code from arguments it cannot read.
/// </summary>
public class CompilerErrorTests
{
    [Theory]
    [InlineData("[Network(4)] [Dense] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3)] [Dropout(\"x\")] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3)] [Dropout] [Dense(2)] public partial class A;")]
    [InlineData("[Network] [Dense(2)] public partial class A;")]
    [InlineData("[Network(\"784\")] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(\"3\")] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3, 7)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3, Activation.Softmax)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3, Activation = Activation.ReLU)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3, WeightStdDev = \"x\")] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3, BiasInit = Unknown.Value)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(int.MaxValue + 1)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3)] [Dropout(Rate = 0.5)] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(units: 3, width: 2)] public partial class A;")]
    [InlineData("[Network(4)] [Dense(3, Activation.ReLU, Activation.Tanh)] public partial class A;")]
    [InlineData("[Network(4)] [ConcreteDropout] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [ConcreteDropout(\"0.1\")] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [ConcreteDropout(0.1, 0.2)] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [ConcreteDropout(0.1, WeightRegularizer = \"x\")] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [ConcreteDropout(0.1, Temperature = 0.5)] [Dense(2)] public partial class A;")]
    [InlineData("[Network(4)] [ConcreteDropout(0.1, DropoutRegularizer = null)] [Dense(2)] public partial class A;")]
    public void Broken_attribute_gives_only_compiler_errors(string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Sources);
        Assert.Contains(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS", StringComparison.Ordinal));
    }

    // The compiler drops a named argument it rejects from AttributeData.NamedArguments, so these attributes
    // look valid to the generator (with the default in place of the rejected value).
    public static readonly TheoryData<string> RejectedNamedArguments = new()
    {
        "[Network(4, Loss = 1)] [Dense(2)] public partial class A;",
        "[Network(4, Missing = 1)] [Dense(2)] public partial class A;",
        "[Network(4)] [Dense(3)] [Dropout(0.5, Scaling = 1)] [Dense(2)] public partial class A;",
    };

    [Theory]
    [MemberData(nameof(RejectedNamedArguments))]
    public void Rejected_named_argument_gives_only_compiler_errors(string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Diagnostic[] errors = run.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.NotEmpty(errors);
        Assert.All(errors, d => Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path));
    }

    [Theory]
    [MemberData(nameof(RejectedNamedArguments))]
    public void Rejected_named_argument_emits_no_code(string declaration)
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n" + declaration);

        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Network_attribute_on_a_struct_is_left_to_the_compiler()
    {
        GeneratorRun run = TestCompilation.Run("using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(2)] public partial struct S;");

        run.AssertNoGeneratorException();
        Assert.Empty(run.Sources);
        Assert.Contains(run.OutputDiagnostics, d => d.Id == "CS0592");
    }

    [Fact]
    public void Valid_network_beside_a_broken_one_is_still_generated()
    {
        GeneratorRun run = TestCompilation.Run(
            NetworkSources.SingleDense,
            "using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense] public partial class Broken;");

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.StartsWith("Samples.LogisticNet.", Assert.Single(run.Sources).HintName, StringComparison.Ordinal);
        Assert.All(run.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error), d => Assert.Equal("Source1.cs", d.Location.GetLineSpan().Path));
    }
}
