using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.Loader;
using CsCheck;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// Random valid declarations, compiled in memory with the generator, loaded and run: they build with no diagnostic and
/// no warning, Forward (inference and training) matches a scalar double reference written from the Parameters layout,
/// and Backward matches central differences of the float loss for every parameter.
/// </summary>
/// <remarks>
/// Every run draws new networks (CsCheck picks a random seed). A failure prints the failing declarations and the seed;
/// set the environment variable <c>CsCheck_Seed</c> to it to replay that run. For a long soak, set
/// <c>COMPILEDNETS_PROPERTY_COMPILATIONS</c> (8 networks each; 250 take about 100 s on two cores).
/// </remarks>
public class ValidNetworkProperties(ITestOutputHelper output)
{
    /// <summary>Networks per in-memory compilation: one compilation costs a few hundred ms, however many it holds.</summary>
    private const int NetworksPerCompilation = 8;

    /// <summary>Compilations per run (each one CsCheck iteration), overridable for long soak runs.</summary>
    private static readonly int s_compilations = PropertySettings.Int("COMPILEDNETS_PROPERTY_COMPILATIONS", 7);

    [Fact]
    public void Random_valid_networks_build_cleanly_and_their_passes_match_the_references()
    {
        ValidNetworkStats stats = Sample(NetworkGen.Mlp("Net"), maxBatch: 5, NetworksPerCompilation, s_compilations, output);
        // Skipping at ReLU and SELU kinks must stay rare, or the property checks little.
        Assert.True(stats.KinkSkips <= stats.Parameters / 1000, $"{stats.KinkSkips} of {stats.Parameters} parameters skipped at kinks");
        Assert.True(stats.SeluNetworks > 0, "no network with SELU was drawn");
    }

    /// <summary>
    /// Draws <paramref name="compilations"/> batches of <paramref name="perCompilation"/> cases from <paramref name="specs"/>
    /// (batch 1..<paramref name="maxBatch"/>, gradients in training mode for three in four), compiles each batch in memory
    /// and runs <see cref="ValidNetworkCheck"/> on every network, two batches at a time; writes the totals and returns them.
    /// </summary>
    internal static ValidNetworkStats Sample(Gen<NetworkSpec> specs, int maxBatch, int perCompilation, int compilations, ITestOutputHelper output)
    {
        Gen<ValidCase> cases =
            from spec in specs
            from batch in Gen.Int[1, maxBatch]
            from extra in Gen.Int[0, 3]
            from weightSeed in Gen.ULong
            from maskSeed in Gen.ULong
            from dataSeed in Gen.ULong
            from mode in Gen.Int[0, 3]
            select new ValidCase(spec, batch, extra, weightSeed, maskSeed, dataSeed, GradientsInTraining: mode != 0);
        Gen<ValidCase[]> batches = cases.Array[perCompilation].Select(drawn =>
            drawn.Select((c, i) => c with { Spec = c.Spec with { Name = c.Spec.Name + i.ToString(CultureInfo.InvariantCulture) } }).ToArray());

        var stats = new ValidNetworkStats();
        var clock = Stopwatch.StartNew();
        Check.Sample(
            batches,
            drawn =>
            {
                using InMemoryNetworks assembly = InMemoryNetworks.Compile(drawn.Select(c => c.Spec).ToArray());
                AssertLoadedBesideTheDefaultContext(assembly);
                foreach (ValidCase c in drawn)
                    new ValidNetworkCheck(assembly, c).Run(stats);
                stats.Add(s => s.Compilations++);
            },
            iter: compilations,
            threads: 2,
            print: drawn => string.Join("\n\n", drawn.Select(c => c.ToString())));

        output.WriteLine(stats.ToString());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"elapsed {clock.Elapsed.TotalSeconds:F1} s"));
        foreach (string skip in stats.SkipLog.Take(20)) output.WriteLine("skipped: " + skip);
        if (stats.RichardsonRechecks > 0) output.WriteLine("closest Richardson re-check: " + stats.WorstRichardsonCase);
        Assert.Equal(compilations * perCompilation, stats.Networks);
        return stats;
    }

    /// <summary>
    /// The collectible context resolves no assembly itself, so the generated code binds to the CompiledNets and
    /// System.Numerics.Tensors the test process already loaded in the default context: only the generated assembly
    /// lives in the collectible one, and casting to <see cref="ICompiledNetwork"/> works.
    /// </summary>
    private static void AssertLoadedBesideTheDefaultContext(InMemoryNetworks assembly)
    {
        Assert.True(assembly.Context.IsCollectible);
        Assert.Equal([assembly.Assembly], assembly.Context.Assemblies);
        Type type = assembly.Assembly.GetTypes().First(t => typeof(ICompiledNetwork).IsAssignableFrom(t));
        Type runtime = type.GetInterfaces().Single(i => i.FullName == typeof(ICompiledNetwork).FullName);
        Assert.Same(typeof(ICompiledNetwork), runtime);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(runtime.Assembly));
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly));
    }
}

/// <summary>Knobs for long runs of the property tests, read from the environment.</summary>
internal static class PropertySettings
{
    public static int Int(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : fallback;
}
