using System;
using System.Linq;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Backward sends no gradient through a dropped unit, and the gradient through a kept unit carries the mask's value.
/// Which units a Forward dropped is found from the outside: under the same masks (Reseed before each Forward), a
/// dropped unit's output is multiplied by 0, so perturbing what feeds it leaves the network's output bit-identical,
/// while perturbing a kept unit changes it.
/// </summary>
public class DropoutBackwardTests
{
    private const int Seeds = 16;

    // HiddenDropoutNet / HiddenInvertedDropoutNet: Dense 1 [6, 10] at 0, bias [10] at 60; Dense 2 [10, 4] at 70, bias [4] at 110.
    private const int In = 6, Hidden = 10, Out = 4;
    private const int B1 = In * Hidden, W2 = B1 + Hidden, B2 = W2 + Hidden * Out;

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    public void Hidden_units_dropped_in_every_example_get_exactly_zero_gradient(bool inverted, int batch)
    {
        IClassifierNetwork net = inverted ? new HiddenInvertedDropoutNet(maxBatchSize: batch, seed: 2) : new HiddenDropoutNet(maxBatchSize: batch, seed: 2);
        float[] inputs = TestData.Gaussian(batch * In, seed: 50);
        int[] labels = TestData.Labels(batch, Out, seed: 51);
        int droppedSeen = 0, keptSeen = 0;

        for (ulong s = 0; s < Seeds; s++)
        {
            bool[,] dropped = DroppedHiddenUnits(net, inputs, batch, s);
            net.Reseed(s);
            net.Forward(inputs, batch, training: true);
            net.Backward(labels);
            float[] g = net.Gradients.ToArray();

            for (int j = 0; j < Hidden; j++)
            {
                bool droppedEverywhere = Enumerable.Range(0, batch).All(b => dropped[b, j]);
                // Everything downstream of unit j's output (the row of Dense 2's weights it feeds) and upstream of it
                // (its bias and its column of Dense 1's weights) only sees it through the mask.
                float[] outgoing = g.AsSpan(W2 + j * Out, Out).ToArray();
                float[] incoming = Enumerable.Range(0, In).Select(i => g[i * Hidden + j]).Append(g[B1 + j]).ToArray();
                if (droppedEverywhere)
                {
                    droppedSeen++;
                    Assert.All(outgoing, v => Assert.Equal(0f, v));
                    Assert.All(incoming, v => Assert.Equal(0f, v));
                }
                else
                {
                    keptSeen++;
                    Assert.Contains(outgoing, v => v != 0f);
                    Assert.Contains(incoming, v => v != 0f);
                }
            }
        }
        Assert.True(droppedSeen > 0 && keptSeen > 0, $"dropped {droppedSeen}, kept {keptSeen}: the seeds did not cover both cases");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_kept_unit_passes_its_gradient_scaled_by_the_mask_value(bool inverted)
    {
        // Batch 1, written out by hand: d = dLoss/dLogits (= the output bias gradient), y = tanh(z) the unit's output,
        // m its mask value (1 unscaled, 1/p = 2 inverted). Then dW2[j, k] = m·y_j·d_k and db1[j] = m·(1 − y_j²)·Σ_k W2[j, k]·d_k.
        // Tolerance 1e-5 relative (+1e-7 absolute): a handful of float32 roundings (~6e-8 each) and TensorPrimitives'
        // tanh (a few ulps); a wrong mask value (1 vs 2) is off by 100%.
        IClassifierNetwork net = inverted ? new HiddenInvertedDropoutNet(maxBatchSize: 1, seed: 3) : new HiddenDropoutNet(maxBatchSize: 1, seed: 3);
        float[] x = TestData.Gaussian(In, seed: 60);
        int[] label = [1];
        double m = inverted ? 2 : 1;
        int keptSeen = 0;

        for (ulong s = 0; s < 4; s++)
        {
            bool[,] dropped = DroppedHiddenUnits(net, x, 1, s);
            net.Reseed(s);
            net.Forward(x, 1, training: true);
            net.Backward(label);
            Span<float> p = net.Parameters, g = net.Gradients;

            for (int j = 0; j < Hidden; j++)
            {
                if (dropped[0, j]) continue;
                keptSeen++;
                double z = p[B1 + j];
                for (int i = 0; i < In; i++) z += (double)x[i] * p[i * Hidden + j];
                double y = Math.Tanh(z), back = 0;
                for (int k = 0; k < Out; k++)
                {
                    double d = g[B2 + k];
                    AssertClose(m * y * d, g[W2 + j * Out + k], $"dW2[{j}, {k}]");
                    back += p[W2 + j * Out + k] * d;
                }
                AssertClose(m * (1 - y * y) * back, g[B1 + j], $"db1[{j}]");
            }
        }
        Assert.True(keptSeen > 0);

        static void AssertClose(double expected, float actual, string what)
            => Assert.True(Math.Abs(actual - expected) <= 1e-7 + 1e-5 * Math.Abs(expected), $"{what}: {actual} vs {expected}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Inputs_dropped_in_every_example_get_exactly_zero_weight_gradient(int batch)
    {
        // InputDropoutNet: Dense 1 [8, 5] at 0. Row i of its weights only ever sees input i through the input mask.
        const int inputs = 8, units = 5;
        var net = new InputDropoutNet(maxBatchSize: batch, seed: 4);
        float[] x = TestData.Gaussian(batch * inputs, seed: 70); // never exactly 0, so "unchanged output" means "dropped"
        int[] labels = TestData.Labels(batch, 3, seed: 71);
        int droppedSeen = 0, keptSeen = 0;

        for (ulong s = 0; s < Seeds; s++)
        {
            net.Reseed(s);
            float[] reference = net.Forward(x, batch, training: true).ToArray();
            var droppedEverywhere = new bool[inputs];
            for (int i = 0; i < inputs; i++)
            {
                droppedEverywhere[i] = true;
                for (int b = 0; b < batch; b++)
                {
                    float[] probe = (float[])x.Clone();
                    probe[b * inputs + i] += 0.5f;
                    net.Reseed(s);
                    float[] y = net.Forward(probe, batch, training: true).ToArray();
                    droppedEverywhere[i] &= y.AsSpan(b * 3, 3).SequenceEqual(reference.AsSpan(b * 3, 3));
                }
            }

            net.Reseed(s);
            net.Forward(x, batch, training: true);
            net.Backward(labels);
            for (int i = 0; i < inputs; i++)
            {
                float[] row = net.Gradients.Slice(i * units, units).ToArray();
                if (droppedEverywhere[i]) { droppedSeen++; Assert.All(row, v => Assert.Equal(0f, v)); }
                else { keptSeen++; Assert.Contains(row, v => v != 0f); }
            }
        }
        Assert.True(droppedSeen > 0 && keptSeen > 0, $"dropped {droppedSeen}, kept {keptSeen}: the seeds did not cover both cases");
    }

    /// <summary>
    /// [example, unit]: whether Forward after <c>Reseed(seed)</c> dropped that hidden unit for that example, found by
    /// raising the unit's bias by 0.5 (its tanh output changes, so a kept unit changes the output row).
    /// </summary>
    private static bool[,] DroppedHiddenUnits(IClassifierNetwork net, float[] inputs, int batch, ulong seed)
    {
        net.Reseed(seed);
        float[] reference = net.Forward(inputs, batch, training: true).ToArray();
        var dropped = new bool[batch, Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            float bias = net.Parameters[B1 + j];
            net.Parameters[B1 + j] = bias + 0.5f;
            net.Reseed(seed);
            float[] y = net.Forward(inputs, batch, training: true).ToArray();
            net.Parameters[B1 + j] = bias;
            for (int b = 0; b < batch; b++)
                dropped[b, j] = y.AsSpan(b * Out, Out).SequenceEqual(reference.AsSpan(b * Out, Out));
        }
        return dropped;
    }
}
