using System;
using System.Globalization;
using System.IO;
using System.Linq;
using CompiledNets;

namespace CompiledNets.Examples;

/// <summary>Per test image: how ambiguous the deterministic prediction is, and how much the sampled predictions spread.</summary>
internal readonly record struct ImageScore(int Index, bool Correct, double Margin, double Spread);

internal static class UncertaintyScores
{
    /// <summary>
    /// Margin: top minus second probability of the inference-mode prediction (small = ambiguous). Spread: the standard
    /// deviation over dropout samples of the probability of the predicted class.
    /// </summary>
    public static ImageScore[] Compute(TutorialNet net, Dataset test, int samples)
    {
        int classes = TutorialNet.OutputSize;
        var probabilities = new float[classes];
        var mean = new float[classes];
        var stdDev = new float[classes];
        var scores = new ImageScore[test.Count];
        net.Reseed(12345);
        for (int i = 0; i < test.Count; i++)
        {
            ReadOnlySpan<float> image = test.Image(i);
            net.Predict(image, probabilities);
            int predicted = ArgMax(probabilities);
            float top = probabilities[predicted];
            float second = probabilities.Where((_, c) => c != predicted).Max();
            net.PredictSamples(image, samples, mean, stdDev);
            scores[i] = new ImageScore(i, predicted == test.Labels[i], top - second, stdDev[predicted]);
        }
        return scores;
    }

    public static void Report(ImageScore[] scores, TextWriter output)
    {
        ImageScore[] byMargin = scores.OrderBy(s => s.Margin).ToArray();
        int decile = scores.Length / 10;
        double Mean(System.Collections.Generic.IEnumerable<ImageScore> set) => set.Average(s => s.Spread);

        var ambiguous = byMargin.Take(decile).ToArray();
        var clear = byMargin.Skip(scores.Length - decile).ToArray();
        var wrong = scores.Where(s => !s.Correct).ToArray();
        var right = scores.Where(s => s.Correct).ToArray();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""
            Spread = standard deviation over dropout samples of the predicted class's probability.
              most ambiguous 10% (smallest top-2 margin): mean spread {{Mean(ambiguous):F4}}
              clearest 10% (largest margin):              mean spread {{Mean(clear):F4}}
              misclassified images ({{wrong.Length}}):               mean spread {{Mean(wrong):F4}}
              correctly classified images ({{right.Length}}):        mean spread {{Mean(right):F4}}
            """));
        output.WriteLine("The five images with the largest spread (index, correct?, margin, spread):");
        foreach (ImageScore s in scores.OrderByDescending(s => s.Spread).Take(5))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{s.Index,5}  {(s.Correct ? "right" : "wrong")}  {s.Margin:F3}  {s.Spread:F4}"));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
