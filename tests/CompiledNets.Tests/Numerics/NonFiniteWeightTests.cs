using System;
using CompiledNets.Kernels;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// The products skip the terms of zero inputs, which is exact only for finite weights: 0 · ∞ and 0 · NaN are NaN. A
/// non-finite weight must show in the outputs whatever the batch (1-row kernels, 3-row tiles, both) and the vector level
/// (the CI runs this suite at every level the machine has), and whether the network or the caller changed the weight.
/// </summary>
public class NonFiniteWeightTests
{
    [Theory]
    [InlineData(1, float.PositiveInfinity)]
    [InlineData(3, float.NaN)]
    [InlineData(4, float.NegativeInfinity)]
    [InlineData(7, float.NaN)]
    public void A_non_finite_weight_on_a_zero_input_makes_the_outputs_NaN(int batch, float bad)
    {
        var net = new LinearTwoLayerNet(maxBatchSize: 8, seed: 1);
        float[] inputs = new float[batch * 2];
        for (int n = 0; n < batch; n++) inputs[2 * n + 1] = 0.5f + n; // input 0 is zero in every example
        var probabilities = new float[batch * 2];

        net.Predict(inputs, probabilities, batch);
        Assert.All(probabilities, p => Assert.True(float.IsFinite(p)));

        net.Parameters[0] = bad; // W1[0, 0]: input 0 -> hidden unit 0, multiplied by zeros only
        net.Predict(inputs, probabilities, batch);
        Assert.All(probabilities, p => Assert.True(float.IsNaN(p), $"{p} should be NaN"));

        net.Parameters[0] = 0.25f; // finite again: skipping resumes and the outputs are finite
        net.Predict(inputs, probabilities, batch);
        Assert.All(probabilities, p => Assert.True(float.IsFinite(p)));
    }

    [Fact]
    public void The_dense_kernel_checks_the_weights_when_the_caller_does_not_say()
    {
        float[] input = [0f, 1f];                       // [1, 2]
        float[] weights = [float.PositiveInfinity, 1f, 2f, 3f]; // [2, 2]
        float[] output = new float[2];
        Dense.Forward(output, input, weights, new float[2], 1, 2, 2);
        Assert.True(float.IsNaN(output[0]), $"0 · ∞ + 2 = {output[0]}");
        Assert.Equal(3f, output[1]);
    }

    [Fact]
    public void A_non_finite_output_gradient_reaches_the_weights_of_zero_inputs()
    {
        // dW = inputᵀ · dOutput: input 0 is zero, so its row of dW is 0 · dOutput — NaN where dOutput is NaN.
        float[] input = [0f, 1f, 0f, 2f];    // [2, 2]
        float[] dOutput = [float.NaN, 1f, 1f, 1f]; // [2, 2]
        float[] dWeights = new float[4], dBias = new float[2];
        Dense.BackwardParameters(dWeights, dBias, dOutput, input, 2, 2, 2);
        Assert.True(float.IsNaN(dWeights[0]), $"dW[0, 0] = {dWeights[0]}");
        Assert.Equal(0f, dWeights[1]);
        Assert.True(float.IsNaN(dWeights[2]));
        Assert.Equal(3f, dWeights[3]);
    }
}
