using System;
using System.Numerics.Tensors;

namespace CompiledNets.Kernels;

/// <summary>The losses and their gradients with respect to the last layer's outputs, averaged over the batch.</summary>
public static class Losses
{
    /// <summary>Mean over the batch of <c>logsumexp(logits) − logits[label]</c> (computed stably, in double).</summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            float max = TensorPrimitives.Max(row);
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += Math.Exp(row[c] - max);
            total += max + Math.Log(sum) - row[labels[b]];
        }
        return (float)(total / batch);
    }

    /// <summary><c>dLogits = (softmax(logits) − onehot(label)) / batch</c>.</summary>
    public static void SoftmaxCrossEntropyBackward(Span<float> dLogits, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        int batch, int classes)
    {
        float invBatch = 1f / batch;
        for (int b = 0; b < batch; b++)
        {
            Span<float> dRow = dLogits.Slice(b * classes, classes);
            Softmax(logits.Slice(b * classes, classes), dRow);
            dRow[labels[b]] -= 1f;
            TensorPrimitives.Multiply(dRow, invBatch, dRow);
        }
    }

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
