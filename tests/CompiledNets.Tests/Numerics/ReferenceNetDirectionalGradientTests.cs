using System;
using System.Globalization;
using CompiledNets.Tests.Networks;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// The reference network (784-200-100-10, ReLU, dropout 0.5 twice) at full width, where checking 178,110 parameters one
/// by one would be slow: instead, for each parameter block (each layer's weights and bias) a central difference along
/// that block's own gradient direction ĝ, which must equal g · Δθ. A block's gradient scaled (a missing dropout
/// factor of 0.5 or 2), transposed or taken from the wrong activations misses the slope by far more than the tolerance.
/// </summary>
public class ReferenceNetDirectionalGradientTests(ITestOutputHelper output)
{
    private const int Batch = 8;
    private const ulong MaskSeed = 99;
    private const float H = 1e-2f; // the length of the step along the unit vector ĝ

    // Tolerance 2% of the directional derivative. Float noise: |L| ≈ 2.3 so ~1e-6 in L± against a difference of
    // 2h|g_block| ≥ 2e-3 here (≤ 1e-3 relative). ReLU kinks: unlike the small nets, 8 × 300 ReLU units cannot all be
    // kept away from 0, so a few pre-activations may cross 0 within ±h; each crossing bends the loss by O(h · slope) over
    // a fraction of the step: the observed worst is 0.8% (Dense 1 weights), and 2% leaves a margin of 2.5×.
    private const double RelativeTolerance = 2e-2;

    private static readonly (string Name, int Offset, int Length)[] Blocks =
    [
        ("Dense 1 weights", 0, 784 * 200), ("Dense 1 bias", 156_800, 200),
        ("Dense 2 weights", 157_000, 200 * 100), ("Dense 2 bias", 177_000, 100),
        ("Dense 3 weights", 177_100, 100 * 10), ("Dense 3 bias", 178_100, 10),
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Each_blocks_gradient_matches_a_central_difference_along_it(bool training)
    {
        Assert.Equal(ReferenceNet.ParameterCount, Blocks[^1].Offset + Blocks[^1].Length);
        var net = new ReferenceNet(maxBatchSize: Batch, seed: 11);
        float[] inputs = TestData.Uniform(Batch * ReferenceNet.InputSize, seed: 12, 0, 1);
        int[] labels = TestData.Labels(Batch, ReferenceNet.OutputSize, seed: 13);
        float Loss()
        {
            net.Reseed(MaskSeed);
            net.Forward(inputs, Batch, training);
            return net.Loss(labels);
        }
        Loss();
        net.Backward(labels);
        float[] g = net.Gradients.ToArray();
        float[] theta = net.Parameters.ToArray();

        foreach (var (name, offset, length) in Blocks)
        {
            double norm = 0;
            for (int i = offset; i < offset + length; i++) norm += (double)g[i] * g[i];
            norm = Math.Sqrt(norm);
            Assert.True(norm > 1e-3, $"{name}: gradient norm {norm} too small to check");

            // g · Δθ with the float values actually stored, so rounding θ ± hĝ to float does not count as error.
            double predicted = 0;
            for (int i = offset; i < offset + length; i++) net.Parameters[i] = (float)(theta[i] + H * g[i] / norm);
            double lossPlus = Loss();
            for (int i = offset; i < offset + length; i++)
            {
                predicted += (double)g[i] * net.Parameters[i];
                net.Parameters[i] = (float)(theta[i] - H * g[i] / norm);
                predicted -= (double)g[i] * net.Parameters[i];
            }
            double lossMinus = Loss();
            theta.AsSpan(offset, length).CopyTo(net.Parameters.Slice(offset, length));

            double actual = lossPlus - lossMinus, relative = Math.Abs(actual - predicted) / Math.Abs(predicted);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: |g| = {norm:G4}, L+ − L− = {actual:G6}, g·Δθ = {predicted:G6}, relative error {relative:G3}"));
            Assert.True(relative <= RelativeTolerance, $"{name}: L+ − L− = {actual}, g · Δθ = {predicted}");
        }
    }
}
