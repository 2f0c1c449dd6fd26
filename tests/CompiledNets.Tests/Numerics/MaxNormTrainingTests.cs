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

/// <summary>
/// A generated <c>TrainStep</c> with <c>[Dense(…, MaxNorm = c)]</c>: after every optimizer step each unit's incoming
/// weights (a column of [in, out]) are at norm ≤ c; a column the step left within the bound is exactly what the
/// optimizer wrote, and one it took over the bound is rescaled by Keras' factor c / (1e-7 + ‖w‖).
/// </summary>
public class MaxNormTrainingTests
{
    private static readonly (string Name, float Bound)[] Constrained = [("dense1.weight", 0.75f), ("dense2.weight", 2f)];

    [Fact]
    public void TrainStep_is_the_optimizer_step_then_the_max_norm_rescaling_by_kerass_formula()
    {
        const int batch = 8;
        float[] x = TestData.Gaussian(batch * MaxNormTrainNet.InputSize, seed: 90);
        int[] labels = TestData.Labels(batch, MaxNormTrainNet.OutputSize, seed: 91);
        var whole = new MaxNormTrainNet(maxBatchSize: batch, seed: 7);
        var parts = new MaxNormTrainNet(maxBatchSize: batch, seed: 7);
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
                float bound = Constrained.FirstOrDefault(t => t.Name == tensor.Name).Bound;
                int rows = tensor.Shape[0], columns = tensor.Shape.Count > 1 ? tensor.Shape[1] : 1;
                double[] norms = MaxNormKernelTests.ColumnNorms(stepped.AsSpan(tensor.Offset, tensor.Length), rows, columns);
                for (int i = 0; i < tensor.Length; i++)
                {
                    int column = i % columns;
                    float got = whole.Parameters[tensor.Offset + i], before = stepped[tensor.Offset + i];
                    bool over = bound > 0 && tensor.Shape.Count > 1 && norms[column] > bound;
                    if (!over && (bound == 0 || Math.Abs(norms[column] - bound) > 1e-5 * bound))
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(got) == BitConverter.SingleToInt32Bits(before),
                            $"step {step}, {tensor.Name}[{i}] changed though its column (norm {norms[column]}) is within the bound: {before:G9} -> {got:G9}");
                        untouched++;
                    }
                    else if (over && Math.Abs(norms[column] - bound) > 1e-5 * bound)
                    {
                        double expected = before * (bound / (1e-7 + norms[column]));
                        Assert.True(Math.Abs(got - expected) <= 1e-6 * Math.Abs(expected) + 1e-30,
                            $"step {step}, {tensor.Name}[{i}]: {got:G9} vs {expected:G9}");
                        rescaled++;
                    }
                }
            }
            // Continue both from the constrained parameters.
            whole.Parameters.CopyTo(parts.Parameters);
        }
        Assert.True(rescaled > 0 && untouched > 0, $"rescaled {rescaled}, untouched {untouched}: the run must exercise both");
    }

    [Fact]
    public void The_bound_holds_after_every_step_of_a_training_run()
    {
        const int batch = 16;
        var net = new MaxNormTrainNet(maxBatchSize: batch, seed: 3);
        var adam = new Adam(0.05f);
        int atBound = 0;
        for (int step = 0; step < 60; step++)
        {
            float[] x = TestData.Gaussian(batch * MaxNormTrainNet.InputSize, seed: (ulong)(1000 + step), scale: 2);
            int[] labels = TestData.Labels(batch, MaxNormTrainNet.OutputSize, seed: (ulong)(2000 + step));
            net.TrainStep(x, labels, adam);
            foreach ((string name, float bound) in Constrained)
            {
                ParameterTensor tensor = net.ParameterTensors.Single(t => t.Name == name);
                foreach (double norm in MaxNormKernelTests.ColumnNorms(net.Parameters.Slice(tensor.Offset, tensor.Length), tensor.Shape[0], tensor.Shape[1]))
                {
                    // 1e-6: the float rescaling lands within a few roundings of c·‖w‖/(ε + ‖w‖) < c.
                    Assert.True(norm <= bound * (1 + 1e-6), $"step {step}: a column of {name} has norm {norm:G9} > {bound}");
                    if (norm >= bound * (1 - 1e-5)) atBound++;
                }
            }
        }
        Assert.True(atBound > 0, "no column ever reached its bound: the run does not test the constraint");
    }

    [Fact]
    public void Layers_and_Summary_name_the_bound()
    {
        var net = new MaxNormTrainNet();
        Assert.Equal("max-norm 0.75", net.Layers[0].Details);
        Assert.Equal("max-norm 2", net.Layers[2].Details);
        Assert.Equal("", net.Layers[3].Details);
        Assert.Contains("ReLU; max-norm 0.75", net.Summary());
    }
}
