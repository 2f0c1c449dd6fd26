using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// TrainStep is exactly Forward(training) + Loss + Backward + optimizer.Step, with the same masks: compared bit for bit
/// (the same float operations in the same order), so the gradient checks of Backward carry over to training.
/// </summary>
public class TrainStepCompositionTests
{
    [Fact]
    public void Classifier_TrainStep_equals_its_parts()
    {
        const int batch = 5;
        float[] x = TestData.Gaussian(batch * SmallMixedNet.InputSize, seed: 80);
        int[] labels = TestData.Labels(batch, SmallMixedNet.OutputSize, seed: 81);
        var whole = new SmallMixedNet(maxBatchSize: batch, seed: 6);
        var parts = new SmallMixedNet(maxBatchSize: batch, seed: 6);
        Adam wholeAdam = new(0.01f), partsAdam = new(0.01f);

        for (int step = 0; step < 3; step++)
        {
            float loss = whole.TrainStep(x, labels, wholeAdam);

            parts.Forward(x, batch, training: true);
            float partsLoss = parts.Loss(labels);
            parts.Backward(labels);
            partsAdam.Step(parts.Parameters, parts.Gradients);

            Assert.Equal(partsLoss, loss);
            Assert.True(whole.Gradients.SequenceEqual(parts.Gradients), $"step {step}: gradients differ");
            Assert.True(whole.Parameters.SequenceEqual(parts.Parameters), $"step {step}: parameters differ");
        }
    }

    [Fact]
    public void Regression_TrainStep_equals_its_parts()
    {
        const int batch = 3;
        float[] x = TestData.Gaussian(batch * SmallRegressionNet.InputSize, seed: 82);
        float[] targets = TestData.Gaussian(batch * SmallRegressionNet.OutputSize, seed: 83);
        var whole = new SmallRegressionNet(maxBatchSize: batch, seed: 6);
        var parts = new SmallRegressionNet(maxBatchSize: batch, seed: 6);
        Sgd wholeSgd = new(0.05f, 0.9f), partsSgd = new(0.05f, 0.9f);

        for (int step = 0; step < 3; step++)
        {
            float loss = whole.TrainStep(x, targets, wholeSgd);

            parts.Forward(x, batch, training: true);
            float partsLoss = parts.Loss(targets);
            parts.Backward(targets);
            partsSgd.Step(parts.Parameters, parts.Gradients);

            Assert.Equal(partsLoss, loss);
            Assert.True(whole.Parameters.SequenceEqual(parts.Parameters), $"step {step}: parameters differ");
        }
    }
}
