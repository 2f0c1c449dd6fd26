using System;
using System.Linq;
using CompiledNets.Tests.FastKernels;

namespace CompiledNets.Tests.Numerics;

/// <summary>Max-norm on two hidden layers (the second after dropout); the output layer is not constrained.</summary>
[Network(20)]
[Dense(16, Activation.ReLU, MaxNorm = 0.75)]
[Dropout(0.5)]
[Dense(12, Activation.Tanh, MaxNorm = 2.0)]
[Dense(3)]
public partial class MaxNormTrainNet;

/// <summary>Max-norm on a convolution's filters and on the dense layer after it.</summary>
[Network(2, 7, 7)]
[Conv2D(4, 3, Activation.ReLU, MaxNorm = 0.5)]
[SpatialDropout(0.25)]
[Dense(6, Activation.ReLU, MaxNorm = 1.0)]
[Dense(3)]
public partial class MaxNormConvNet;

/// <summary>
/// A generated <c>TrainStep</c> with <c>MaxNorm = c</c>: after every optimizer step each unit's incoming weights (a
/// column of a dense layer's [in, out]; a convolution filter, a row of [filters, channels·k·k]) are at norm ≤ c; one the
/// step left within the bound is exactly what the optimizer wrote, and one it took over the bound is rescaled by Keras'
/// factor c / (1e-7 + ‖w‖), checked against a double reference.
/// </summary>
public class MaxNormTrainingTests
{
    /// <summary>The constrained tensors: name, bound, and whether a unit's weights are a row (a filter) rather than a column.</summary>
    private static readonly (string Name, float Bound, bool Rows)[] DenseBounds = [("dense1.weight", 0.75f, false), ("dense2.weight", 2f, false)];
    private static readonly (string Name, float Bound, bool Rows)[] ConvBounds = [("conv1.weight", 0.5f, true), ("dense1.weight", 1f, false)];

    [Fact]
    public void Dense_TrainStep_is_the_optimizer_step_then_the_max_norm_rescaling()
        => AssertStepIsOptimizerThenMaxNorm(new MaxNormTrainNet(8, seed: 7), new MaxNormTrainNet(8, seed: 7), DenseBounds);

    [Fact]
    public void Conv2D_TrainStep_is_the_optimizer_step_then_the_max_norm_rescaling()
        => AssertStepIsOptimizerThenMaxNorm(new MaxNormConvNet(8, seed: 7), new MaxNormConvNet(8, seed: 7), ConvBounds);

    [Fact]
    public void The_bound_holds_after_every_step_of_a_training_run()
    {
        AssertBoundHolds(new MaxNormTrainNet(16, seed: 3), DenseBounds);
        AssertBoundHolds(new MaxNormConvNet(16, seed: 3), ConvBounds);
    }

    [Fact]
    public void Layers_and_Summary_name_the_bound()
    {
        var net = new MaxNormTrainNet();
        Assert.Equal("max-norm 0.75", net.Layers[0].Details);
        Assert.Equal("max-norm 2", net.Layers[2].Details);
        Assert.Equal("", net.Layers[3].Details);
        Assert.Contains("ReLU; max-norm 0.75", net.Summary());
        // A convolution's Details stay its geometry alone (ONNX export parses them); its bound is in the class summary.
        Assert.Equal("3×3 kernel, stride 1, valid padding", new MaxNormConvNet().Layers[0].Details);
    }

    /// <summary>Column norms, or row norms when <paramref name="rows"/> (a row is a filter).</summary>
    private static double[] UnitNorms(ReadOnlySpan<float> w, ParameterTensor tensor, bool rows)
    {
        int first = tensor.Shape[0], rest = tensor.Length / first;
        if (!rows) return MaxNormKernelTests.ColumnNorms(w, first, rest);
        var norms = new double[first];
        for (int r = 0; r < first; r++)
        {
            double sum = 0;
            for (int j = 0; j < rest; j++) sum += (double)w[r * rest + j] * w[r * rest + j];
            norms[r] = Math.Sqrt(sum);
        }
        return norms;
    }

    private static void AssertStepIsOptimizerThenMaxNorm<TNet>(TNet whole, TNet parts, (string Name, float Bound, bool Rows)[] bounds)
        where TNet : IClassifierNetwork
    {
        const int batch = 8;
        float[] x = TestData.Gaussian(batch * whole.InputSize, seed: 90);
        int[] labels = TestData.Labels(batch, whole.OutputSize, seed: 91);
        Adam wholeAdam = new(0.05f), partsAdam = new(0.05f);
        int rescaled = 0, untouched = 0;
        for (int step = 0; step < 20; step++)
        {
            whole.TrainStep(x, labels, wholeAdam);

            parts.Forward(x, batch, training: true);
            parts.Loss(labels);
            parts.Backward(labels);
            partsAdam.Step(parts.Parameters, parts.Gradients);
            float[] stepped = parts.Parameters.ToArray();

            foreach (ParameterTensor tensor in whole.ParameterTensors)
            {
                var (_, bound, rows) = bounds.FirstOrDefault(t => t.Name == tensor.Name);
                double[] norms = UnitNorms(stepped.AsSpan(tensor.Offset, tensor.Length), tensor, rows);
                int perRow = tensor.Length / tensor.Shape[0];
                for (int i = 0; i < tensor.Length; i++)
                {
                    int unit = rows ? i / perRow : i % perRow;
                    float got = whole.Parameters[tensor.Offset + i], before = stepped[tensor.Offset + i];
                    // The kernel compares its float norm with c: a unit within a rounding of c may go either way.
                    bool near = bound > 0 && Math.Abs(norms[unit] - bound) <= 1e-5 * bound;
                    if (near) continue;
                    if (bound == 0 || norms[unit] < bound)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(got) == BitConverter.SingleToInt32Bits(before),
                            $"step {step}, {tensor.Name}[{i}] changed though its unit (norm {norms[unit]}) is within the bound: {before:G9} -> {got:G9}");
                        untouched++;
                    }
                    else
                    {
                        double expected = before * (bound / (1e-7 + norms[unit]));
                        Assert.True(Math.Abs(got - expected) <= 1e-6 * Math.Abs(expected),
                            $"step {step}, {tensor.Name}[{i}]: {got:G9} vs {expected:G9}");
                        rescaled++;
                    }
                }
            }
            // Both continue from the constrained parameters.
            whole.Parameters.CopyTo(parts.Parameters);
        }
        Assert.True(rescaled > 0 && untouched > 0, $"rescaled {rescaled}, untouched {untouched}: the run must exercise both");
    }

    private static void AssertBoundHolds<TNet>(TNet net, (string Name, float Bound, bool Rows)[] bounds) where TNet : IClassifierNetwork
    {
        const int batch = 16;
        var adam = new Adam(0.05f);
        int atBound = 0;
        for (int step = 0; step < 60; step++)
        {
            float[] x = TestData.Gaussian(batch * net.InputSize, seed: (ulong)(1000 + step), scale: 2);
            int[] labels = TestData.Labels(batch, net.OutputSize, seed: (ulong)(2000 + step));
            net.TrainStep(x, labels, adam);
            foreach ((string name, float bound, bool rows) in bounds)
            {
                ParameterTensor tensor = net.ParameterTensors.Single(t => t.Name == name);
                foreach (double norm in UnitNorms(net.Parameters.Slice(tensor.Offset, tensor.Length), tensor, rows))
                {
                    // 1e-6: the float rescaling lands within a few roundings of c·‖w‖/(ε + ‖w‖) < c.
                    Assert.True(norm <= bound * (1 + 1e-6), $"{typeof(TNet).Name}, step {step}: a unit of {name} has norm {norm:G9} > {bound}");
                    if (norm >= bound * (1 - 1e-5)) atBound++;
                }
            }
        }
        Assert.True(atBound > 0, $"{typeof(TNet).Name}: no unit ever reached its bound, so the run does not test the constraint");
    }
}
