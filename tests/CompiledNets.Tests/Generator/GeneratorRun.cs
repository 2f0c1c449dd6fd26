using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>One run of the generator: what it reported and produced, and the compilation with its output added.</summary>
internal sealed class GeneratorRun
{
    public GeneratorRun(GeneratorDriver driver, GeneratorDriverRunResult result, ImmutableArray<Diagnostic> generatorDiagnostics, Compilation output)
    {
        Driver = driver;
        Result = result;
        GeneratorDiagnostics = generatorDiagnostics;
        Output = output;
    }

    /// <summary>The driver after this run, to run again incrementally.</summary>
    public GeneratorDriver Driver { get; }

    public GeneratorDriverRunResult Result { get; }

    /// <summary>The generator's result (there is one generator).</summary>
    public GeneratorRunResult Generator => Result.Results.Single();

    /// <summary>What the generator reported, including CS8785 when it threw.</summary>
    public ImmutableArray<Diagnostic> GeneratorDiagnostics { get; }

    /// <summary>The input compilation with the generated sources added.</summary>
    public Compilation Output { get; }

    public ImmutableArray<GeneratedSourceResult> Sources => Generator.GeneratedSources;

    /// <summary>Every diagnostic of the output compilation (user code and generated code).</summary>
    public ImmutableArray<Diagnostic> OutputDiagnostics => Output.GetDiagnostics();

    /// <summary>The text of the only generated source.</summary>
    public string SingleSource() => Assert.Single(Sources).SourceText.ToString();

    /// <summary>Fails if the generator threw, in either of the ways Roslyn shows it.</summary>
    public void AssertNoGeneratorException()
    {
        Assert.Null(Generator.Exception);
        Assert.DoesNotContain(GeneratorDiagnostics, d => d.Id.StartsWith("CS8785", StringComparison.Ordinal));
        Assert.DoesNotContain(OutputDiagnostics, d => d.Id.StartsWith("CS8785", StringComparison.Ordinal));
    }

    /// <summary>The source text a diagnostic points at (generator diagnostics carry file locations, not tree locations).</summary>
    public string LocatedText(Diagnostic diagnostic)
    {
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = Assert.Single(Output.SyntaxTrees, t => t.FilePath == span.Path);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }
}
