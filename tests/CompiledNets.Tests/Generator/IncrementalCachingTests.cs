using System;
using System.Linq;
using CompiledNets.Generator;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// The pipeline caches: an edit that does not touch a network re-emits nothing, and an edit to one network
/// re-emits that network only.
/// </summary>
public class IncrementalCachingTests
{
    private const string Broken = "using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(3)] [Dropout(1.5)] [Dense(2)] public partial class BrokenNet;";
    private const string Orphan = "using CompiledNets;\nnamespace Samples;\n[Dense(3)] [Dropout(0.5)] public partial class OrphanLayers;";
    private const string Unrelated = "namespace Samples;\n/// <summary>Unrelated.</summary>\npublic static class Unrelated { /// <summary>A.</summary>\n public const int A = 1; }";

    [Fact]
    public void Every_step_has_outputs_on_the_first_run()
    {
        (GeneratorRun first, _) = FirstRun();

        Assert.Equal(new[] { "Parse", "Models", "Diagnostics", "Orphans", "WeightsFiles", "WeightsDiagnostics" }, TrackedSteps.Names);
        Assert.All(TrackedSteps.Names, name => Assert.NotEmpty(TrackedSteps.Outputs(first, name)));
        Assert.All(TrackedSteps.Names, name => Assert.All(TrackedSteps.Outputs(first, name), output => Assert.Equal(IncrementalStepRunReason.New, output.Reason)));
    }

    [Fact]
    public void Adding_an_unrelated_file_is_fully_cached()
    {
        (GeneratorRun first, Compilation compilation) = FirstRun();

        GeneratorRun second = TestCompilation.Run(first.Driver,
            compilation.AddSyntaxTrees(TestCompilation.Parse("namespace Elsewhere; /** <summary>New.</summary> */ public class Added { }", "Added.cs")));

        AssertFullyCached(second);
    }

    [Fact]
    public void Editing_an_unrelated_file_is_fully_cached()
    {
        (GeneratorRun first, Compilation compilation) = FirstRun();
        SyntaxTree unrelated = compilation.SyntaxTrees.Single(tree => tree.FilePath == "Source3.cs");

        GeneratorRun second = TestCompilation.Run(first.Driver,
            compilation.ReplaceSyntaxTree(unrelated, TestCompilation.Parse(Unrelated.Replace("A = 1", "A = 2"), "Source3.cs")));

        AssertFullyCached(second);
    }

    [Fact]
    public void Editing_one_network_re_emits_only_that_network()
    {
        string other = NetworkSources.InputDropout;
        string edited = NetworkSources.SingleDense;
        Compilation compilation = TestCompilation.Create(other, edited);
        GeneratorRun first = TestCompilation.Run(TestCompilation.CreateDriver(), compilation);
        SyntaxTree editedTree = compilation.SyntaxTrees.Single(tree => tree.FilePath == "Source1.cs");

        GeneratorRun second = TestCompilation.Run(first.Driver,
            compilation.ReplaceSyntaxTree(editedTree, TestCompilation.Parse(edited.Replace("[Dense(2)]", "[Dense(4)]"), "Source1.cs")));

        second.AssertNoGeneratorException();
        var otherReasons = TrackedSteps.ReasonsFor<NetworkModel>(second, NetworkGenerator.Steps.Models, m => m.ClassName == "InputDropoutNet");
        var editedReasons = TrackedSteps.ReasonsFor<NetworkModel>(second, NetworkGenerator.Steps.Models, m => m.ClassName == "LogisticNet");
        Assert.True(TrackedSteps.IsCached(Assert.Single(otherReasons)), $"InputDropoutNet: {otherReasons[0]}");
        Assert.Contains(Assert.Single(editedReasons), new[] { IncrementalStepRunReason.Modified, IncrementalStepRunReason.New });
        Assert.Contains("OutputSize = 4;", second.Sources.Single(s => s.HintName.StartsWith("Samples.LogisticNet.", StringComparison.Ordinal)).SourceText.ToString());
    }

    [Fact]
    public void Moving_a_diagnostic_does_not_re_emit_code()
    {
        string source = NetworkSources.SingleDense + "\n" + Broken.Replace("using CompiledNets;\nnamespace Samples;\n", "");
        Compilation compilation = TestCompilation.Create(source);
        GeneratorRun first = TestCompilation.Run(TestCompilation.CreateDriver(), compilation);

        GeneratorRun second = TestCompilation.Run(first.Driver,
            compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(), TestCompilation.Parse("// a line that moves everything down\n" + source, "Source0.cs")));

        var model = Assert.Single(TrackedSteps.Outputs(second, NetworkGenerator.Steps.Models));
        Assert.True(TrackedSteps.IsCached(model.Reason), model.Reason.ToString());
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(TrackedSteps.Outputs(second, NetworkGenerator.Steps.Diagnostics)).Reason);
        int firstLine = Assert.Single(first.GeneratorDiagnostics).Location.GetLineSpan().StartLinePosition.Line;
        Assert.Equal(firstLine + 1, Assert.Single(second.GeneratorDiagnostics).Location.GetLineSpan().StartLinePosition.Line);
    }

    /// <summary>A valid network, a broken one, orphan layers and an unrelated file (Source3.cs), run once.</summary>
    private static (GeneratorRun Run, Compilation Input) FirstRun()
    {
        Compilation compilation = TestCompilation.Create(NetworkSources.Reference, Broken, Orphan, Unrelated, Weighted, BadlyWeighted);
        GeneratorRun first = TestCompilation.Run(TestCompilation.CreateDriver(s_weights), compilation);
        first.AssertNoGeneratorException();
        Assert.Equal(2, first.Sources.Length);
        Assert.Equal(new[] { "CNN0005", "CNN0014", "CNN0014", "CNN0025" }, first.GeneratorDiagnostics.Select(d => d.Id).OrderBy(id => id, System.StringComparer.Ordinal));
        return (first, compilation);
    }

    /// <summary>A network with compiled-in weights (Source4.cs) and one whose file does not fit it (Source5.cs).</summary>
    private const string Weighted = """
        using CompiledNets;
        namespace Samples;
        [Network(3, Weights = "small.safetensors")]
        [Dense(2)]
        public partial class WeightedSmallNet;
        """;

    private const string BadlyWeighted = """
        using CompiledNets;
        namespace Samples;
        [Network(4, Weights = "small.safetensors")]
        [Dense(2)]
        public partial class BadlyWeightedNet;
        """;

    private static readonly AdditionalText[] s_weights =
    [
        InMemoryText.Weights("small.safetensors", CompiledWeightsTests.SafeTensorsFile(
            [("dense1.weight", [3, 2], [1, 2, 3, 4, 5, 6]), ("dense1.bias", [2], [0.5f, -0.5f])])),
    ];

    [Fact]
    public void Editing_the_weights_file_re_emits_the_network_that_uses_it()
    {
        (GeneratorRun first, Compilation compilation) = FirstRun();
        var edited = InMemoryText.Weights("small.safetensors", CompiledWeightsTests.SafeTensorsFile(
            [("dense1.weight", [3, 2], [1, 2, 3, 4, 5, 7]), ("dense1.bias", [2], [0.5f, -0.5f])]));

        GeneratorRun second = TestCompilation.Run(first.Driver.ReplaceAdditionalText(s_weights[0], edited), compilation);

        second.AssertNoGeneratorException();
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(TrackedSteps.Outputs(second, NetworkGenerator.Steps.WeightsFiles)).Reason);
        var model = TrackedSteps.ReasonsFor<NetworkModel>(second, NetworkGenerator.Steps.Models, m => m.ClassName == "WeightedSmallNet");
        Assert.True(TrackedSteps.IsCached(Assert.Single(model)));
        string source = second.Sources.Single(s => s.HintName.StartsWith("Samples.WeightedSmallNet.", System.StringComparison.Ordinal)).SourceText.ToString();
        string before = first.Sources.Single(s => s.HintName.StartsWith("Samples.WeightedSmallNet.", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.NotEqual(before, source);
    }

    private static void AssertFullyCached(GeneratorRun second)
    {
        second.AssertNoGeneratorException();
        foreach (string name in TrackedSteps.Names)
        {
            var outputs = TrackedSteps.Outputs(second, name);
            Assert.NotEmpty(outputs);
            Assert.All(outputs, output => Assert.True(TrackedSteps.IsCached(output.Reason), $"Step '{name}' output {output.Value}: {output.Reason}"));
        }
        Assert.All(second.Generator.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.True(TrackedSteps.IsCached(output.Reason), $"Output step: {output.Reason}"));
    }
}
