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
    public void Generated_source_matches_snapshot(string name, string source)
    {
        GeneratorRun run = TestCompilation.Run(source);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Match(run.SingleSource(), name);
    }

    [Fact]
    public void Hint_name_is_the_full_type_name()
    {
        Assert.Equal("Samples.Mnist.MnistNet.g.cs", Assert.Single(TestCompilation.Run(NetworkSources.Reference).Sources).HintName);
        Assert.Equal("GlobalNet.g.cs", Assert.Single(TestCompilation.Run(NetworkSources.GlobalNamespace).Sources).HintName);
    }
}
