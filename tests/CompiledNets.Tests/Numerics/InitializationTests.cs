using System;
using System.Linq;

namespace CompiledNets.Tests.Numerics;

/// <summary>The default initializations (He-normal for ReLU, Glorot-uniform for the others, SELU included) and LeCun-normal asked for.</summary>
[Network(400)]
[Dense(300, Activation.ReLU)]
[Dense(200, Activation.SELU, WeightInit = WeightInit.LeCunNormal)]
[Dense(100, Activation.Tanh)]
[Dense(10, Activation.SELU)]
public partial class DefaultInitNet;

/// <summary>The weights each layer starts from (WeightInit.Auto, and LeCun-normal where asked for), and the biases' zeros.</summary>
public class InitializationTests
{
    /// <summary>
    /// The sample standard deviation of n draws has a relative standard error of about 1/√(2n) (0.2% for the smallest
    /// tensor here, 20,000 weights; a little more for the uniform); 2% is more than 9 of them, while the inits differ by
    /// at least a factor √2 (He against LeCun at the same fan-in).
    /// </summary>
    private const double RelativeTolerance = 0.02;

    [Theory]
    [InlineData("dense1.weight", 2.0 / 400)]            // He-normal: 2 / fanIn
    [InlineData("dense2.weight", 1.0 / 300)]            // LeCun-normal: 1 / fanIn
    [InlineData("dense3.weight", 6.0 / 300 / 3)]        // Glorot-uniform on ±√(6 / (fanIn + fanOut)): limit² / 3
    [InlineData("dense4.weight", 6.0 / 110 / 3)]        // SELU by default: Glorot-uniform too
    public void Each_layer_starts_with_the_variance_of_its_activation_s_init(string tensor, double variance)
    {
        var net = new DefaultInitNet(maxBatchSize: 1, seed: 7);
        ParameterTensor weights = net.ParameterTensors.Single(t => t.Name == tensor);
        double[] w = net.Parameters.Slice(weights.Offset, weights.Length).ToArray().Select(v => (double)v).ToArray();

        double mean = w.Average();
        double std = Math.Sqrt(w.Sum(v => (v - mean) * (v - mean)) / (w.Length - 1));
        Assert.InRange(std / Math.Sqrt(variance), 1 - RelativeTolerance, 1 + RelativeTolerance);
        Assert.InRange(mean, -6 * std / Math.Sqrt(w.Length), 6 * std / Math.Sqrt(w.Length)); // 6 standard errors
    }

    [Fact]
    public void Biases_start_at_zero()
    {
        var net = new DefaultInitNet(maxBatchSize: 1, seed: 7);
        foreach (ParameterTensor bias in net.ParameterTensors.Where(t => t.Name.EndsWith(".bias", StringComparison.Ordinal)))
            Assert.All(net.Parameters.Slice(bias.Offset, bias.Length).ToArray(), b => Assert.Equal(0f, b));
    }
}
