using Xunit.Abstractions;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// Random valid convolutional declarations (<see cref="NetworkGen.Cnn"/>: an image input, Conv2D with every kernel,
/// stride and padding, every activation, MaxPool2D with overlapping or gapped windows, SpatialDropout and per-element Dropout
/// after image layers, then Dense layers), compiled in memory and checked as <see cref="ValidNetworkProperties"/> checks
/// multilayer perceptrons: clean build, the Layers list and Parameters layout, Forward (inference and training, masks
/// read through DropoutMask) against the scalar double reference within its rounding model, and Backward against
/// central differences of every parameter, with ReLU and pooling kinks handled as <see cref="ValidNetworkCheck"/> says.
/// </summary>
/// <remarks>
/// New networks every run; a failure prints the declarations and the seed (replay with <c>CsCheck_Seed</c>).
/// <c>COMPILEDNETS_PROPERTY_CNN_COMPILATIONS</c> sets the number of compilations (8 networks each; the default 5 takes
/// about 10 s on two cores).
/// </remarks>
public class ConvolutionalNetworkProperties(ITestOutputHelper output)
{
    private const int NetworksPerCompilation = 8;
    private static readonly int s_compilations = PropertySettings.Int("COMPILEDNETS_PROPERTY_CNN_COMPILATIONS", 5);

    [Fact]
    public void Random_convolutional_networks_build_cleanly_and_their_passes_match_the_references()
    {
        ValidNetworkStats stats = ValidNetworkProperties.Sample(NetworkGen.Cnn("Cnn"), maxBatch: 4, NetworksPerCompilation, s_compilations, output);
        // Kinks left after the bias moves are re-checked with a smaller step; skipping (a kink within 1e-3) must stay rare.
        Assert.True(stats.KinkSkips <= stats.Parameters / 200, $"{stats.KinkSkips} of {stats.Parameters} parameters skipped at kinks");
        Assert.True(stats.SeluNetworks > 0, "no network with SELU was drawn");
    }
}
