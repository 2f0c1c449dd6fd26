using System;
using System.Globalization;
using CompiledNets;

namespace CompiledNets.Examples.DropoutStudy;

/// <summary>Train and test accuracy after each epoch of one run.</summary>
internal sealed record Curves(string Label, double[] TrainAccuracy, double[] TestAccuracy)
{
    /// <summary>Train minus test accuracy after the last epoch.</summary>
    public double Gap => TrainAccuracy[^1] - TestAccuracy[^1];
}

/// <summary>Trains one network and records its curves.</summary>
internal static class Study
{
    public static Curves Train<TNetwork>(string label, TNetwork network, MnistData data, int epochs, ulong seed)
        where TNetwork : IClassifierNetwork
    {
        var trainer = new Trainer<TNetwork>(network, new Adam(0.001f), batchSize: 128, shuffleSeed: seed);
        var train = new double[epochs];
        var test = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            EpochResult result = trainer.TrainEpoch(data.Train);
            train[epoch] = trainer.Evaluate(data.Train).Accuracy;
            test[epoch] = trainer.Evaluate(data.Test).Accuracy;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label,-16} epoch {epoch + 1,3}: train {train[epoch]:P2}, test {test[epoch]:P2}, loss {result.MeanLoss:F4}, {result.Elapsed.TotalSeconds:F2} s"));
        }
        return new Curves(label, train, test);
    }
}
