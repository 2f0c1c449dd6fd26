using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// Softmax cross-entropy and its gradient with respect to the logits, averaged over the batch: the loss of
/// <see cref="LossFunction.SoftmaxCrossEntropy"/> networks. Each row is shifted by its maximum, so logits of any size give
/// finite results, and the whole batch goes through one vectorized exponential over all batch × classes values instead
/// of a few short calls per row (with 10 classes, the per-row calls cost more than the arithmetic).
/// </summary>
public static class SoftmaxCrossEntropy
{
    [ThreadStatic] private static double[]? t_shifted;

    /// <summary>
    /// Mean over the batch of <c>logsumexp(logits) − logits[label]</c>, each row shifted by its maximum and the
    /// exponentials summed in double.
    /// </summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="labels">One class index per row (checked by the caller).</param>
    /// <param name="batch">Rows.</param>
    /// <param name="classes">Columns.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Loss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes)
    {
        int n = batch * classes;
        double[]? shifted = t_shifted;
        if (shifted is null || shifted.Length < n)
            t_shifted = shifted = new double[Math.Max(n, 4096)];
        Span<double> values = shifted.AsSpan(0, n);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            float max = Max(row);
            Span<double> target = values.Slice(b * classes, classes);
            for (int c = 0; c < classes; c++) target[c] = row[c] - max;
        }
        TensorPrimitives.Exp(values, values);
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            ReadOnlySpan<double> exps = values.Slice(b * classes, classes);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += exps[c];
            total += Max(row) + Math.Log(sum) - row[labels[b]];
        }
        return (float)(total / batch);
    }

    /// <summary><c>dLogits = (softmax(logits) − onehot(label)) / batch</c>.</summary>
    /// <param name="dLogits">[batch, classes], overwritten.</param>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="labels">One class index per row (checked by the caller).</param>
    /// <param name="batch">Rows.</param>
    /// <param name="classes">Columns.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(Span<float> dLogits, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes)
    {
        int n = batch * classes;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            TensorPrimitives.Subtract(row, Max(row), dLogits.Slice(b * classes, classes));
        }
        TensorPrimitives.Exp(dLogits.Slice(0, n), dLogits.Slice(0, n));
        float invBatch = 1f / batch;
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = dLogits.Slice(b * classes, classes);
            float sum = 0;
            for (int c = 0; c < classes; c++) sum += row[c];
            float scale = invBatch / sum;
            for (int c = 0; c < classes; c++) row[c] *= scale;
            row[labels[b]] -= invBatch;
        }
    }

    private static float Max(ReadOnlySpan<float> row)
    {
        float max = row[0];
        for (int c = 1; c < row.Length; c++)
            if (row[c] > max || float.IsNaN(row[c])) max = row[c];
        return max;
    }
}
