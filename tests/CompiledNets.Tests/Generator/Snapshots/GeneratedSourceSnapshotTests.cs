namespace CompiledNets.Tests.Generator;

/// <summary>The generated source of representative networks, compared with reviewed snapshots beside this file.</summary>
public class GeneratedSourceSnapshotTests
{
    [Theory]
    [InlineData("ReferenceNetwork", NetworkSources.Reference)]
    [InlineData("InputDropout", NetworkSources.InputDropout)]
    [InlineData("MeanSquaredError", NetworkSources.MeanSquaredError)]
    [InlineData("InvertedScaling", NetworkSources.InvertedScaling)]
    [InlineData("SingleDense", NetworkSources.SingleDense)]
    [InlineData("GlobalNamespace", NetworkSources.GlobalNamespace)]
    [InlineData("PartialRecord", NetworkSources.PartialRecord)]
    [InlineData("LeNet", NetworkSources.LeNet)]
    [InlineData("ImageVariety", NetworkSources.ImageVariety)]
    [InlineData("NoiseFamily", NetworkSources.NoiseFamily)]
    [InlineData("MaxNorm", NetworkSources.MaxNorm)]
    [InlineData("MaxNormConv", NetworkSources.MaxNormConv)]
    [InlineData("DropConnect", NetworkSources.DropConnect)]
    [InlineData("ConcreteDropout", NetworkSources.ConcreteDropout)]
    public void Generated_source_matches_snapshot(string name, string source)
    {
        GeneratorRun run = TestCompilation.Run(source);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Match(run.SingleSource(), name);
    }

    [Fact]
    public void Compiled_in_weights_match_snapshot()
    {
        var weights = InMemoryText.Weights("tiny.safetensors", CompiledWeightsTests.SafeTensorsFile(
            [("dense1.weight", [3, 2], [0.5f, -1, 2, 0.25f, -0.125f, 3]), ("dense1.bias", [2], [1, -1])]));
        GeneratorRun run = TestCompilation.Run([weights],
            "using CompiledNets;\n\nnamespace Samples;\n\n[Network(3, Weights = \"tiny.safetensors\")]\n[Dense(2)]\npublic partial class TinyWeightedNet;\n");

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Match(run.SingleSource(), "CompiledWeights");
    }

    [Fact]
    public void Hint_name_is_the_full_type_name_and_a_hash_of_it()
    {
        // The hash keeps names that differ only in case apart (Roslyn compares hint names ignoring case);
        // it is FNV-1a of the full name, so it never changes between builds.
        Assert.Equal("Samples.Mnist.MnistNet.b488b227.g.cs", Assert.Single(TestCompilation.Run(NetworkSources.Reference).Sources).HintName);
        Assert.Equal("GlobalNet.3f3eba51.g.cs", Assert.Single(TestCompilation.Run(NetworkSources.GlobalNamespace).Sources).HintName);
    }
}
