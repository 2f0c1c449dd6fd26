using System;
using System.Collections.Generic;

namespace CompiledNets;

/// <summary>
/// What every generated network offers, whatever its loss. The generator implements it on each
/// <see cref="NetworkAttribute"/> class; the sizes are also there as constants (<c>N.InputSize</c>, ...). Every network
/// can split its batches between threads (<see cref="IThreadedNetwork.Threads"/>).
/// </summary>
public interface ICompiledNetwork : IThreadedNetwork
{
    /// <summary>Values per input example.</summary>
    int InputSize { get; }

    /// <summary>Values per output example.</summary>
    int OutputSize { get; }

    /// <summary>Number of trainable parameters (length of <see cref="Parameters"/>).</summary>
    int ParameterCount { get; }

    /// <summary>The largest batch this instance was built for.</summary>
    int MaxBatchSize { get; }

    /// <summary>The loss the network was declared with.</summary>
    LossFunction LossFunction { get; }

    /// <summary>
    /// Every parameter, flat: for each dense layer in order, its weights [inputs, units] row-major, then its bias [units].
    /// </summary>
    Span<float> Parameters { get; }

    /// <summary>The gradients written by the last backward pass, in the layout of <see cref="Parameters"/>.</summary>
    Span<float> Gradients { get; }

    /// <summary>The named tensors that make up <see cref="Parameters"/>, in order (for saving and loading by name).</summary>
    IReadOnlyList<ParameterTensor> ParameterTensors { get; }

    /// <summary>
    /// The declared layers in order (a dropout fused into the Dense before it still has its own entry): kind, shapes,
    /// activation, dropout settings, parameter tensors.
    /// </summary>
    IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>A table of the layers (name and kind, output shape, parameters, settings) and the total, like Keras' <c>model.summary()</c>.</summary>
    string Summary();

    /// <summary>
    /// The position of the dropout mask stream. Saving it and setting it back later (a checkpoint) makes the masks
    /// that follow identical to those an uninterrupted run would have drawn. Always 0 for a network without dropout.
    /// </summary>
    ulong MaskStreamState { get; set; }

    /// <summary>
    /// Runs the network on <paramref name="batchSize"/> examples (row-major, batchSize × InputSize) and returns
    /// the last layer's outputs (batchSize × OutputSize), valid until the next call. With
    /// <paramref name="training"/> true, fresh dropout masks are sampled; otherwise inference scaling applies.
    /// </summary>
    ReadOnlySpan<float> Forward(ReadOnlySpan<float> inputs, int batchSize, bool training);

    /// <summary>
    /// Inference on <paramref name="batchSize"/> examples: no dropout masks, inference scaling applied. Writes softmax
    /// probabilities (raw outputs for <see cref="LossFunction.MeanSquaredError"/>), batchSize × OutputSize.
    /// </summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> probabilities, int batchSize = 1);

    /// <summary>
    /// Monte Carlo dropout: <paramref name="samples"/> forward passes with freshly sampled masks (as in training),
    /// giving per output the <paramref name="mean"/> and (population) <paramref name="stdDev"/> over the samples of the
    /// softmax probabilities (raw outputs for <see cref="LossFunction.MeanSquaredError"/>), batchSize × OutputSize each.
    /// A large spread marks an input the network is unsure about. Advances the mask stream; allocates nothing.
    /// </summary>
    void PredictSamples(ReadOnlySpan<float> inputs, int samples, Span<float> mean, Span<float> stdDev, int batchSize = 1);

    /// <summary>Restarts the dropout mask stream: masks sampled after <c>Reseed(s)</c> are a pure function of <c>s</c>.</summary>
    void Reseed(ulong seed);
}

/// <summary>A network trained with <see cref="LossFunction.SoftmaxCrossEntropy"/> on class labels.</summary>
public interface IClassifierNetwork : ICompiledNetwork
{
    /// <summary>Mean cross-entropy of the last <see cref="ICompiledNetwork.Forward"/> over its batch.</summary>
    /// <param name="labels">One class index in <c>[0, OutputSize)</c> per example of that batch.</param>
    float Loss(ReadOnlySpan<int> labels);

    /// <summary>Writes d(mean loss)/d(parameters) of the last forward pass, with its masks, into <see cref="ICompiledNetwork.Gradients"/>.</summary>
    void Backward(ReadOnlySpan<int> labels);

    /// <summary>Forward (training) + backward + <paramref name="optimizer"/> step on one batch; returns its mean loss.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, IOptimizer optimizer);
}

/// <summary>A network trained with <see cref="LossFunction.MeanSquaredError"/> on real-valued targets.</summary>
public interface IRegressionNetwork : ICompiledNetwork
{
    /// <summary>Mean squared error of the last <see cref="ICompiledNetwork.Forward"/> against <paramref name="targets"/> (batchSize × OutputSize).</summary>
    float Loss(ReadOnlySpan<float> targets);

    /// <summary>Writes d(mean loss)/d(parameters) of the last forward pass, with its masks, into <see cref="ICompiledNetwork.Gradients"/>.</summary>
    void Backward(ReadOnlySpan<float> targets);

    /// <summary>Forward (training) + backward + <paramref name="optimizer"/> step on one batch; returns its mean loss.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, IOptimizer optimizer);
}
