using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// On a purely linear network each output is linear in every mask, and the masks are independent, so the mean of
/// the training-mode outputs over masks is the network with each dropout replaced by E[mask]: p for the
/// at-inference rule (masks in {0, 1}), p · (1/p) = 1 for the inverted rule. Inference must compute exactly that.
/// </summary>
public class InferenceExpectationTests
{
    private const int Batch = 125, Forwards = 160, Samples = Batch * Forwards; // N = 20,000 mask draws

    // Monte Carlo tolerance: by the CLT the mean of N samples is within 5 · s / sqrt(N) of its expectation (s the sample
    // standard deviation) except with probability ~6e-7; the seeds are fixed, so the test is deterministic.
    private const double Sigmas = 5;

    // Reference tolerance: float32 Forward vs the double reference. Each output is a sum of ~20 products of O(1) values,
    // each rounded with relative error 6e-8, so 1e-5 absolute + 1e-5 relative is a margin of ~10× on the worst case.
    private const double ReferenceTolerance = 1e-5;

    private static readonly float[] Example = [0.8f, -1.3f, 0.45f, 2.1f];

    [Fact]
    public void At_inference_scaling_gives_the_mean_of_the_training_outputs()
        => AssertInferenceIsTheTrainingMean(new LinearAtInferenceNet(maxBatchSize: Batch, seed: 3),
            expectedScales: (0.6, 0.4), mistakenScales: (1, 1)); // the mistake: forgetting to scale at inference

    [Fact]
    public void Inverted_scaling_gives_the_mean_of_the_training_outputs()
        => AssertInferenceIsTheTrainingMean(new LinearInvertedNet(maxBatchSize: Batch, seed: 3),
            expectedScales: (1, 1), mistakenScales: (0.6, 0.4)); // the mistake: scaling by p at inference as well

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inference_forward_equals_a_scalar_reference_from_the_parameters(bool inverted)
    {
        ICompiledNetwork net = inverted ? new LinearInvertedNet(maxBatchSize: 8, seed: 4) : new LinearAtInferenceNet(maxBatchSize: 8, seed: 4);
        // Nonzero biases, so a bias scaled together with the dropout would show.
        for (int i = 0; i < net.ParameterCount; i++) net.Parameters[i] += 0.1f * (i % 5 - 2);
        double inputScale = inverted ? 1 : 0.6, hiddenScale = inverted ? 1 : 0.4;

        const int batch = 8;
        float[] inputs = TestData.Gaussian(batch * LinearNetReference.Inputs, seed: 17);
        float[] outputs = net.Forward(inputs, batch, training: false).ToArray();
        var probabilities = new float[batch * LinearNetReference.Outputs];
        net.Predict(inputs, probabilities, batch);

        for (int b = 0; b < batch; b++)
        {
            double[] expected = LinearNetReference.Evaluate(net.Parameters,
                inputs.AsSpan(b * LinearNetReference.Inputs, LinearNetReference.Inputs), inputScale, hiddenScale);
            double max = Math.Max(expected[0], expected[1]);
            double z = Math.Exp(expected[0] - max) + Math.Exp(expected[1] - max);
            for (int k = 0; k < LinearNetReference.Outputs; k++)
            {
                double actual = outputs[b * LinearNetReference.Outputs + k];
                Assert.True(Math.Abs(actual - expected[k]) <= ReferenceTolerance * (1 + Math.Abs(expected[k])),
                    $"example {b}, output {k}: {actual} vs reference {expected[k]}");
                // Predict is the softmax of those outputs (float softmax: 1e-6 is a few ulps of a probability).
                Assert.Equal(Math.Exp(expected[k] - max) / z, probabilities[b * LinearNetReference.Outputs + k], 1e-6);
            }
        }
    }

    private static void AssertInferenceIsTheTrainingMean(ICompiledNetwork net,
        (double Input, double Hidden) expectedScales, (double Input, double Hidden) mistakenScales)
    {
        for (int i = 0; i < net.ParameterCount; i++) net.Parameters[i] += 0.1f * (i % 5 - 2); // nonzero biases
        const int outputs = LinearNetReference.Outputs;

        var inputs = new float[Batch * LinearNetReference.Inputs];
        for (int b = 0; b < Batch; b++) Example.CopyTo(inputs, b * LinearNetReference.Inputs);

        var sum = new double[outputs];
        var sumOfSquares = new double[outputs];
        net.Reseed(123);
        for (int f = 0; f < Forwards; f++)
        {
            ReadOnlySpan<float> y = net.Forward(inputs, Batch, training: true); // every row draws its own masks
            for (int b = 0; b < Batch; b++)
            {
                for (int k = 0; k < outputs; k++)
                {
                    double v = y[b * outputs + k];
                    sum[k] += v;
                    sumOfSquares[k] += v * v;
                }
            }
        }

        float[] inference = net.Forward(inputs.AsSpan(0, LinearNetReference.Inputs), 1, training: false).ToArray();
        double[] exact = LinearNetReference.Evaluate(net.Parameters, Example, expectedScales.Input, expectedScales.Hidden);
        double[] mistaken = LinearNetReference.Evaluate(net.Parameters, Example, mistakenScales.Input, mistakenScales.Hidden);
        double powerGap = 0;
        for (int k = 0; k < outputs; k++)
        {
            double mean = sum[k] / Samples;
            double std = Math.Sqrt((sumOfSquares[k] - Samples * mean * mean) / (Samples - 1));
            double tolerance = Sigmas * std / Math.Sqrt(Samples);
            Assert.True(Math.Abs(mean - inference[k]) <= tolerance,
                $"output {k}: training mean {mean} ± {tolerance} (5σ), inference {inference[k]}");
            Assert.True(Math.Abs(exact[k] - inference[k]) <= ReferenceTolerance * (1 + Math.Abs(exact[k])),
                $"output {k}: inference {inference[k]}, exact expectation {exact[k]}");
            powerGap = Math.Max(powerGap, Math.Abs(mistaken[k] - exact[k]) / tolerance);
        }
        // The test has the power to tell the rules apart: the training mean is within one tolerance of the exact
        // expectation, so an inference pass with the mistaken scaling (more than 3 tolerances from it on some output)
        // would miss the mean by more than 2 tolerances and fail.
        Assert.True(powerGap > 3, $"The mistaken scaling is only {powerGap:F1} tolerances from the expectation.");
    }
}
