using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using CompiledNets;
using CompiledNets.Examples;

namespace CompiledNets.Examples;

/// <summary>The command-line settings of one run.</summary>
internal sealed record TrainingOptions(int Epochs, int BatchSize, float LearningRate, ulong Seed, int Threads, string? SavePath, DataLocator.Located? Data)
{
    /// <summary>A message for the first bad setting, or null.</summary>
    public string? Validate() =>
        Epochs < 1 ? "--epochs must be at least 1."
        : BatchSize < 1 ? "--batch-size must be at least 1."
        : !(LearningRate > 0) || float.IsInfinity(LearningRate) ? "--learning-rate must be positive and finite."
        : Threads is < 1 or > 64 ? "--threads must be between 1 and 64."
        : null;
}

/// <summary>Trains any of the example's networks and prints one line per epoch and a summary.</summary>
internal static class TrainingRun
{
    public static int Run<TNetwork>(TNetwork network, MnistData data, TrainingOptions options) where TNetwork : IClassifierNetwork
    {
        var trainer = new Trainer<TNetwork>(network, new Adam(options.LearningRate), options.BatchSize, shuffleSeed: options.Seed, threads: options.Threads);
        var progress = new ProgressBar();
        Console.WriteLine("epoch  train loss  train acc  test acc  seconds");
        double bestTest = 0, totalSeconds = 0;
        int bestEpoch = 0;
        Evaluation train = default, test = default;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            int current = epoch;
            EpochResult result = trainer.TrainEpoch(data.Train, (done, total) => progress.Update(current, done, total));
            progress.Clear();
            train = trainer.Evaluate(data.Train);
            test = trainer.Evaluate(data.Test);
            totalSeconds += result.Elapsed.TotalSeconds;
            if (test.Accuracy > bestTest) (bestTest, bestEpoch) = (test.Accuracy, epoch);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{epoch,5}  {result.MeanLoss,10:F4}  {train.Accuracy,9:P2}  {test.Accuracy,8:P2}  {result.Elapsed.TotalSeconds,7:F2}"));
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""
            Summary
              final test accuracy    {{test.Accuracy,8:P2}}
              final train accuracy   {{train.Accuracy,8:P2}}   (inference mode, no dropout)
              best test accuracy     {{bestTest,8:P2}}   (epoch {{bestEpoch}})
              training per epoch     {{totalSeconds / options.Epochs,8:F2}} s   ({{trainer.Steps}} steps, {{options.Threads}} thread(s))
            """));

        if (options.SavePath is { } path)
        {
            SafeTensors.Save(network, path, new Dictionary<string, string>
            {
                ["network"] = typeof(TNetwork).Name,
                ["data"] = options.Data?.Description ?? "",
                ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
                ["test_accuracy"] = test.Accuracy.ToString("R", CultureInfo.InvariantCulture),
            });
            Console.WriteLine($"Saved the parameters to {Path.GetFullPath(path)}.");
        }
        return 0;
    }
}
