using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>Run-time argument checks of a generated mean-squared-error network (<see cref="SmallRegressionNet"/>, maxBatchSize 4).</summary>
public class RegressionArgumentTests
{
    private const int MaxBatch = 4, Batch = 2;
    private const int In = SmallRegressionNet.InputSize, Out = SmallRegressionNet.OutputSize;

    private readonly SmallRegressionNet _net = new(maxBatchSize: MaxBatch, seed: 1);
    private readonly SmallRegressionNet _twin = new(maxBatchSize: MaxBatch, seed: 1);
    private readonly float[] _inputs = TestData.Gaussian(Batch * In, seed: 3);
    private readonly float[] _targets = TestData.Gaussian(Batch * Out, seed: 4);

    [Fact]
    public void Loss_and_Backward_before_any_Forward_throw_InvalidOperationException()
    {
        Assert.Throws<InvalidOperationException>(() => _net.Loss(_targets));
        Assert.Throws<InvalidOperationException>(() => _net.Backward(_targets));
    }

    [Theory]
    [InlineData(Batch * Out - 1)]
    [InlineData(Batch * Out + 1)]
    [InlineData(Batch)]
    public void Loss_and_Backward_reject_targets_that_are_not_batchSize_by_OutputSize(int length)
    {
        AssertRejected<ArgumentException>("targets", () => _net.Loss(new float[length]));
        AssertRejected<ArgumentException>("targets", () => _net.Backward(new float[length]));
    }

    [Theory]
    [InlineData(Batch * Out - 1)]
    [InlineData(Batch * Out + Out)]
    public void TrainStep_rejects_targets_of_the_wrong_length(int length)
        => AssertRejected<ArgumentException>("targets", () => _net.TrainStep(_inputs, new float[length], new Sgd(0.1f)));

    [Theory]
    [InlineData(0)]
    [InlineData(In * Batch - 1)]
    [InlineData((MaxBatch + 1) * In)]
    public void TrainStep_rejects_inputs_that_are_not_one_to_max_whole_examples(int length)
        => AssertRejected<ArgumentException>("inputs", () => _net.TrainStep(new float[length], _targets, new Sgd(0.1f)));

    [Fact]
    public void Forward_rejects_a_batch_size_above_max()
        => AssertRejected<ArgumentOutOfRangeException>("batchSize", () => _net.Forward(new float[(MaxBatch + 1) * In], MaxBatch + 1, training: false));

    [Fact]
    public void Predict_rejects_an_outputs_span_of_the_wrong_length()
        => AssertRejected<ArgumentException>("probabilities", () => _net.Predict(_inputs, new float[Batch * Out - 1], Batch));

    /// <summary>As in <see cref="ClassifierArgumentTests"/>: a valid step on both networks, the failing call on one, then no difference.</summary>
    private void AssertRejected<TException>(string paramName, Action call) where TException : ArgumentException
    {
        _net.TrainStep(_inputs, _targets, new Sgd(0.1f));
        _twin.TrainStep(_inputs, _targets, new Sgd(0.1f));
        _net.Forward(_inputs, Batch, training: true);
        _twin.Forward(_inputs, Batch, training: true);
        float lossBefore = _net.Loss(_targets);

        var e = Assert.Throws<TException>(call);
        Assert.Equal(paramName, e.ParamName);

        Assert.True(_net.Parameters.SequenceEqual(_twin.Parameters), "parameters changed");
        Assert.True(_net.Gradients.SequenceEqual(_twin.Gradients), "gradients changed");
        Assert.Equal(lossBefore, _net.Loss(_targets));
        Assert.True(_net.Forward(_inputs, Batch, training: true).SequenceEqual(_twin.Forward(_inputs, Batch, training: true)), "mask stream moved");
    }
}
