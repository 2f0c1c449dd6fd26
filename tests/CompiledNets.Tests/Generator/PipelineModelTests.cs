using System.Collections.Generic;
using System.Linq;
using CompiledNets.Generator;
using CompiledNets.Generator.Layers;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis;
using CompiledNets.Generator.Parsing;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// What the pipeline caches is plain values: no symbol, syntax node, compilation, semantic model or location,
/// anywhere in the object graph (those differ between compilations, so caching would never hit).
/// </summary>
public class PipelineModelTests
{
    [Fact]
    public void Step_outputs_hold_no_roslyn_objects()
    {
        AdditionalText weights = InMemoryText.Weights("w.safetensors", CompiledWeightsTests.SafeTensorsFile(
            [("dense1.weight", [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), ("dense1.bias", [2], [0, 1])]));
        GeneratorRun run = TestCompilation.Run(
            new[] { weights },
            NetworkSources.TestNetworks,
            "using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(3)] [Dropout(1.5)] [Dense(2)] public partial class BrokenNet;",
            "using CompiledNets;\nnamespace Samples;\n[Dense(3)] public partial class OrphanLayer;",
            "using CompiledNets;\nnamespace Samples;\n[Network(4, Weights = \"w.safetensors\")] [Dense(2)] public partial class WeightedNet;",
            "using CompiledNets;\nnamespace Samples;\n[Network(5, Weights = \"w.safetensors\")] [Dense(2)] public partial class MisweightedNet;");
        run.AssertNoGeneratorException();

        foreach (string step in TrackedSteps.Names)
        {
            foreach ((object value, _) in TrackedSteps.Outputs(run, step))
                Assert.True(ObjectGraph.ForbiddenPaths(value).Count == 0, $"Step '{step}': " + string.Join("; ", ObjectGraph.ForbiddenPaths(value)));
        }
    }

    [Fact]
    public void Walk_reaches_every_layer_and_diagnostic_of_the_parse_results()
    {
        GeneratorRun run = TestCompilation.Run(
            NetworkSources.TestNetworks,
            "using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(3)] [Dropout(1.5)] [Dense(2)] public partial class BrokenNet;");

        List<object> reached = TrackedSteps.Outputs(run, NetworkGenerator.Steps.Parse)
            .SelectMany(output => ObjectGraph.Walk(output.Value).Select(found => found.Value))
            .ToList();

        Assert.Equal(6, reached.OfType<ParseResult>().Count());
        Assert.Equal(5, reached.OfType<NetworkModel>().Count());
        Assert.Equal(13, reached.OfType<DenseLayerModel>().Count());
        Assert.Equal(10, reached.OfType<DropoutLayerModel>().Count());
        Assert.Equal("CNN0005", Assert.Single(reached.OfType<DiagnosticInfo>()).DescriptorId);
    }

    [Fact]
    public void Walk_flags_a_roslyn_object()
    {
        GeneratorRun run = TestCompilation.Run(NetworkSources.SingleDense);
        var holder = new List<object> { "plain", run.Output.SyntaxTrees.First().GetRoot() };

        Assert.NotEmpty(ObjectGraph.ForbiddenPaths(holder));
    }
}
