using System;
using CompiledNets.Kernels;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Predict's own pass (a convolution followed by max pooling is pooled as it is computed, keeping neither the
/// convolution's outputs nor the winners) against Forward(training: false): the same bits, and Loss and Backward after
/// Predict as after that Forward (Backward re-runs it on the inputs Predict kept), for networks with 2 × 2 and
/// overlapping 3 × 3 pools, a classifier and a regression, with and without dropout, on one and two threads.
/// </summary>
public class PredictPathTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(16, 2)]
    public void LeNet_Predict_gives_the_bits_of_softmax_of_an_inference_Forward(int batch, int threads)
    {
        var net = new AllocationLeNet(maxBatchSize: 16, seed: 11) { Threads = threads };
        float[] x = TestData.Uniform(batch * AllocationLeNet.InputSize, seed: 12, 0, 1);
        x[7] = 0f; // zeros after ReLU tie inside the pools
        AssertPredictIsInferenceForward(net, x, batch);
    }

    [Fact]
    public void Overlapping_pools_and_a_regression_Predict_give_the_bits_of_an_inference_Forward()
    {
        AssertPredictIsInferenceForward(new OverlappingPoolNet(maxBatchSize: 8, seed: 3), TestData.Gaussian(6 * OverlappingPoolNet.InputSize, seed: 4), 6);
        AssertPredictIsInferenceForward(new ImageRegressionNet(maxBatchSize: 8, seed: 5), TestData.Gaussian(7 * ImageRegressionNet.InputSize, seed: 6), 7);
    }

    [Fact]
    public void Loss_and_Backward_after_Predict_are_those_after_an_inference_Forward_of_its_inputs()
    {
        const int batch = 6;
        var net = new AllocationLeNet(maxBatchSize: 8, seed: 21);
        float[] x = TestData.Uniform(batch * AllocationLeNet.InputSize, seed: 22, 0, 1);
        float[] other = TestData.Uniform(batch * AllocationLeNet.InputSize, seed: 23, 0, 1);
        int[] labels = TestData.Labels(batch, AllocationLeNet.OutputSize, seed: 24);

        net.Forward(x, batch, training: false);
        float expectedLoss = net.Loss(labels);
        net.Backward(labels);
        float[] expected = net.Gradients.ToArray();

        // A training Forward of other inputs first: Predict's pass replaces it, as an inference Forward would.
        net.Forward(other, batch, training: true);
        net.Predict(x, new float[batch * AllocationLeNet.OutputSize], batch);
        Assert.Equal(BitConverter.SingleToInt32Bits(expectedLoss), BitConverter.SingleToInt32Bits(net.Loss(labels)));
        net.Gradients.Fill(float.NaN);
        net.Backward(labels);
        Assert.Equal(Bits(expected), Bits(net.Gradients.ToArray()));
        // A second Backward (no Predict in between) reads the same state.
        net.Backward(labels);
        Assert.Equal(Bits(expected), Bits(net.Gradients.ToArray()));
    }

    [Fact]
    public void A_regression_Backward_after_Predict_is_that_after_an_inference_Forward()
    {
        const int batch = 5;
        var net = new ImageRegressionNet(maxBatchSize: 8, seed: 31);
        float[] x = TestData.Gaussian(batch * ImageRegressionNet.InputSize, seed: 32);
        float[] targets = TestData.Gaussian(batch * ImageRegressionNet.OutputSize, seed: 33);
        net.Forward(x, batch, training: false);
        net.Backward(targets);
        float[] expected = net.Gradients.ToArray();
        net.Predict(x, new float[batch * ImageRegressionNet.OutputSize], batch);
        net.Backward(targets);
        Assert.Equal(Bits(expected), Bits(net.Gradients.ToArray()));
    }

    private static void AssertPredictIsInferenceForward(ICompiledNetwork net, float[] x, int batch)
    {
        float[] outputs = net.Forward(x, batch, training: false).ToArray();
        float[] expected = new float[outputs.Length];
        if (net.LossFunction == LossFunction.SoftmaxCrossEntropy) Losses.Softmax(outputs, expected, batch, net.OutputSize);
        else outputs.CopyTo(expected, 0);
        float[] predicted = new float[expected.Length];
        net.Predict(x, predicted, batch);
        Assert.Equal(Bits(expected), Bits(predicted));
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
