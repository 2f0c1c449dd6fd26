using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using CompiledNets.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Builds in-memory compilations referencing the running runtime's assemblies plus CompiledNets and
/// System.Numerics.Tensors, and runs <see cref="NetworkGenerator"/> on them the way the compiler does.
/// </summary>
internal static class TestCompilation
{
    /// <summary>C# latest; documentation comments parsed and checked, so missing XML docs are warnings too.</summary>
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly CSharpCompilationOptions s_options = new CSharpCompilationOptions(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        warningLevel: 9999);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    /// <summary>Every assembly of the running runtime, CompiledNets and System.Numerics.Tensors.</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary>Parses one source file; its path is what generator diagnostics point at.</summary>
    public static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    /// <summary>A compilation of the sources, named Source0.cs, Source1.cs, ...</summary>
    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create(
            "GeneratorTestAssembly",
            sources.Select((source, i) => Parse(source, $"Source{i}.cs")),
            References,
            s_options);

    /// <summary>A driver for the generator that records every tracked step, for the caching tests.</summary>
    /// <param name="additionalTexts">The project's AdditionalFiles as the build hands them over.</param>
    public static GeneratorDriver CreateDriver(params AdditionalText[] additionalTexts) =>
        CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() },
            additionalTexts,
            ParseOptions,
            optionsProvider: null,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Compiles the sources and runs the generator once.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(CreateDriver(), Create(sources));

    /// <summary>Compiles the sources and runs the generator once with these AdditionalFiles.</summary>
    public static GeneratorRun Run(AdditionalText[] additionalTexts, params string[] sources) => Run(CreateDriver(additionalTexts), Create(sources));

    /// <summary>Runs <paramref name="driver"/> on <paramref name="compilation"/>; the result holds the advanced driver.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), generatorDiagnostics, output);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")
            ?? throw new InvalidOperationException("The runtime does not list its TRUSTED_PLATFORM_ASSEMBLIES.");
        var paths = new SortedSet<string>(trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal)
        {
            typeof(NetworkAttribute).Assembly.Location,
            typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location,
        };
        return paths.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray();
    }
}
