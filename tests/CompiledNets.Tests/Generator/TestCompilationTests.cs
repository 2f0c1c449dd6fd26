using System.Linq;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>Controls for the harness itself, so that "no warnings" in the other tests means something.</summary>
public class TestCompilationTests
{
    [Fact]
    public void Runtime_types_used_by_generated_code_resolve_cleanly()
    {
        GeneratorRun run = TestCompilation.Run("""
            namespace Samples;
            /// <summary>Types the generated code names.</summary>
            public static class Probe
            {
                /// <summary>A kernel.</summary>
                public static readonly System.Type Kernel = typeof(global::CompiledNets.Kernels.Dense);
                /// <summary>The tensor primitives.</summary>
                public static readonly System.Type Tensor = typeof(global::System.Numerics.Tensors.TensorPrimitives);
                /// <summary>The mask stream.</summary>
                public static readonly System.Type Masks = typeof(global::CompiledNets.Randomness.SplitMix64);
            }
            """);

        Assert.Empty(run.OutputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData("CS0414", "private bool _b; /// <summary>M.</summary>\n public void M() { _b = true; }")]
    [InlineData("CS8618", "/// <summary>S.</summary>\n public string S { get; set; }")]
    [InlineData("CS1591", "public void Undocumented() { }")]
    [InlineData("CS1998", "/// <summary>M.</summary>\n public async System.Threading.Tasks.Task M() { }")]
    public void Warnings_are_reported(string id, string members)
    {
        GeneratorRun run = TestCompilation.Run($$"""
            namespace Samples;
            /// <summary>C.</summary>
            public class C
            {
                {{members}}
            }
            """);

        Diagnostic warning = Assert.Single(run.OutputDiagnostics);
        Assert.Equal((id, DiagnosticSeverity.Warning), (warning.Id, warning.Severity));
    }
}
