using System;

namespace CompiledNets.Tests.Numerics;

/// <summary>Softmax and its loss in double precision, written the obvious way (with the max shift), for comparison.</summary>
internal static class DoubleReference
{
    public static double[] Softmax(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (float x in row) max = Math.Max(max, x);
        var p = new double[row.Length];
        double sum = 0;
        for (int i = 0; i < row.Length; i++) sum += p[i] = Math.Exp(row[i] - max);
        for (int i = 0; i < row.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>Mean over the batch of −log softmax(logits)[label] = logsumexp(logits) − logits[label].</summary>
    public static double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        double total = 0;
        for (int b = 0; b < labels.Length; b++)
        {
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            double max = double.NegativeInfinity;
            foreach (float x in row) max = Math.Max(max, x);
            double sum = 0;
            foreach (float x in row) sum += Math.Exp(x - max);
            total += max + Math.Log(sum) - row[labels[b]];
        }
        return total / labels.Length;
    }
}
