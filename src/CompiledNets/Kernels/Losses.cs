using System;
using System.Numerics.Tensors;

namespace CompiledNets.Kernels;

/// <summary>
/// Mean squared error and its gradient with respect to the last layer's outputs, averaged over the batch, and the softmax
/// that turns logits into probabilities. Softmax cross-entropy and its gradient are <see cref="SoftmaxCrossEntropy"/>.
/// </summary>
public static class Losses
{
    /// <summary>Mean over all batch × outputs values of <c>(y − t)²</c>.</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int count)
    {
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            double e = outputs[i] - targets[i];
            total += e * e;
        }
        return (float)(total / count);
    }

    /// <summary><c>dOutputs = 2 (y − t) / count</c>.</summary>
    public static void MeanSquaredErrorBackward(Span<float> dOutputs, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int count)
    {
        TensorPrimitives.Subtract(outputs.Slice(0, count), targets.Slice(0, count), dOutputs.Slice(0, count));
        TensorPrimitives.Multiply(dOutputs.Slice(0, count), 2f / count, dOutputs.Slice(0, count));
    }

    /// <summary>Row-wise softmax of [batch, classes] logits into <paramref name="probabilities"/>.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, int batch, int classes)
    {
        for (int b = 0; b < batch; b++)
            Softmax(logits.Slice(b * classes, classes), probabilities.Slice(b * classes, classes));
    }

    /// <summary>Softmax of one row, shifted by its maximum so that no exponential overflows.</summary>
    private static void Softmax(ReadOnlySpan<float> row, Span<float> destination)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, destination);
        TensorPrimitives.Exp(destination, destination);
        TensorPrimitives.Divide(destination, TensorPrimitives.Sum(destination), destination);
    }
}
