using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Run-time argument checks of a generated softmax network (<see cref="SmallMixedNet"/>, maxBatchSize 4): the right
/// exception type naming the argument, thrown before any state changes (parameters, gradients, the last Forward
/// that Loss and Backward refer to, and the mask stream).
/// </summary>
public class ClassifierArgumentTests
{
    private const int MaxBatch = 4, Batch = 2;
    private const int In = SmallMixedNet.InputSize, Classes = SmallMixedNet.OutputSize;

    private readonly SmallMixedNet _net = new(maxBatchSize: MaxBatch, seed: 1);
    private readonly SmallMixedNet _twin = new(maxBatchSize: MaxBatch, seed: 1); // receives only the valid calls
    private readonly float[] _inputs = TestData.Gaussian(Batch * In, seed: 2);
    private readonly int[] _labels = [2, 0];

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]             // maxBatchSize × 9 overflows int
    [InlineData(0x7FFFFFC7 / 9 + 1)]       // maxBatchSize × 9 (the widest layer) just exceeds Array.MaxLength
    public void Constructor_rejects_a_max_batch_size_whose_buffers_cannot_exist(int maxBatchSize)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SmallMixedNet(maxBatchSize));
        Assert.Equal("maxBatchSize", e.ParamName);
    }

    [Fact]
    public void Loss_and_Backward_before_any_Forward_throw_InvalidOperationException()
    {
        Assert.Throws<InvalidOperationException>(() => _net.Loss(_labels));
        Assert.Throws<InvalidOperationException>(() => _net.Backward(_labels));
        Assert.Equal(new float[SmallMixedNet.ParameterCount], _net.Gradients.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(MaxBatch + 1)]
    public void Forward_rejects_a_batch_size_outside_one_to_max(int batchSize)
    {
        var inputs = new float[Math.Max(batchSize, 0) * In];
        AssertRejected<ArgumentOutOfRangeException>("batchSize", () => _net.Forward(inputs, batchSize, training: true));
    }

    [Theory]
    [InlineData(Batch * In - 1)]
    [InlineData(Batch * In + 1)]
    [InlineData(0)]
    public void Forward_rejects_inputs_that_are_not_batchSize_examples(int length)
        => AssertRejected<ArgumentException>("inputs", () => _net.Forward(new float[length], Batch, training: true));

    [Theory]
    [InlineData(0)]
    [InlineData(MaxBatch + 1)]
    public void Predict_rejects_a_batch_size_outside_one_to_max(int batchSize)
        => AssertRejected<ArgumentOutOfRangeException>("batchSize",
            () => _net.Predict(new float[batchSize * In], new float[batchSize * Classes], batchSize));

    [Fact]
    public void Predict_rejects_inputs_of_the_wrong_length()
        => AssertRejected<ArgumentException>("inputs", () => _net.Predict(new float[Batch * In + 3], new float[Batch * Classes], Batch));

    [Theory]
    [InlineData(Batch * Classes - 1)]
    [InlineData(Batch * Classes + 1)]
    public void Predict_rejects_a_probabilities_span_of_the_wrong_length(int length)
        => AssertRejected<ArgumentException>("probabilities", () => _net.Predict(_inputs, new float[length], Batch));

    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 1, 2, 0 })]
    public void Loss_and_Backward_reject_labels_of_the_wrong_length(int[] labels)
    {
        AssertRejected<ArgumentException>("labels", () => _net.Loss(labels));
        AssertRejected<ArgumentException>("labels", () => _net.Backward(labels));
    }

    [Theory]
    [InlineData(new[] { 1, Classes })]
    [InlineData(new[] { -1, 0 })]
    public void Loss_and_Backward_reject_labels_that_are_not_class_indices(int[] labels)
    {
        AssertRejected<ArgumentException>("labels", () => _net.Loss(labels));
        AssertRejected<ArgumentException>("labels", () => _net.Backward(labels));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(In + 1)]
    [InlineData((MaxBatch + 1) * In)]
    public void TrainStep_rejects_inputs_that_are_not_one_to_max_whole_examples(int length)
        => AssertRejected<ArgumentException>("inputs", () => _net.TrainStep(new float[length], _labels, new Sgd(0.1f)));

    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 1, 2, 0 })]
    [InlineData(new[] { 1, Classes })]
    [InlineData(new[] { int.MinValue, 0 })]
    public void TrainStep_rejects_bad_labels(int[] labels)
        => AssertRejected<ArgumentException>("labels", () => _net.TrainStep(_inputs, labels, new Sgd(0.1f)));

    [Fact]
    public void TrainStep_rejects_a_null_optimizer()
        => AssertRejected<ArgumentNullException>("optimizer", () => _net.TrainStep(_inputs, _labels, null!));

    /// <summary>
    /// Runs one valid training step on both networks (so there is a last Forward and nonzero gradients), then the
    /// failing call on one of them only; checks the exception, then that the two networks still agree on everything.
    /// </summary>
    private void AssertRejected<TException>(string paramName, Action call) where TException : ArgumentException
    {
        var optimizer = new Sgd(0.1f);
        _net.TrainStep(_inputs, _labels, optimizer);
        _twin.TrainStep(_inputs, _labels, new Sgd(0.1f));
        _net.Forward(_inputs, Batch, training: true);
        _twin.Forward(_inputs, Batch, training: true);
        float lossBefore = _net.Loss(_labels);

        var e = Assert.Throws<TException>(call);
        Assert.Equal(paramName, e.ParamName);

        Assert.True(_net.Parameters.SequenceEqual(_twin.Parameters), "parameters changed");
        Assert.True(_net.Gradients.SequenceEqual(_twin.Gradients), "gradients changed");
        Assert.Equal(lossBefore, _net.Loss(_labels)); // the last Forward (its batch size and outputs) is intact
        // The mask stream did not move: the next training forward draws the same masks as the twin's.
        Assert.True(_net.Forward(_inputs, Batch, training: true).SequenceEqual(_twin.Forward(_inputs, Batch, training: true)), "mask stream moved");
    }
}
