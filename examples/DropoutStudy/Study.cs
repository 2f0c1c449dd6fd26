using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CompiledNets;

namespace CompiledNets.Examples.DropoutStudy;

/// <summary>Train and test accuracy after each epoch of one run.</summary>
internal sealed record Curves(string Label, double[] TrainAccuracy, double[] TestAccuracy)
{
    /// <summary>Train minus test accuracy after each epoch.</summary>
    public double[] Gap => TrainAccuracy.Zip(TestAccuracy, (train, test) => train - test).ToArray();

    /// <summary>The best test accuracy and the epoch (1-based) it came after.</summary>
    public (double Accuracy, int Epoch) BestTest =>
        TestAccuracy.Select((a, i) => (a, i + 1)).MaxBy(t => t.a);
}

/// <summary>One configuration of the study: a name (as peers/pytorch_study.py names it) and how to train it.</summary>
internal sealed record Configuration(string Name, string Description, Func<ulong, MnistData, int, int, Curves> Train);

/// <summary>The study's configurations, and training one network while recording its curves.</summary>
internal static class Study
{
    public static readonly IReadOnlyList<Configuration> Configurations =
    [
        Of<TutorialNet>("tutorial", "the tutorial's network and init, dropout 0.5 (hidden)", (b, s) => new(b, s)),
        Of<TutorialNetNoDropout>("tutorial-no-dropout", "the tutorial's network and init, no dropout", (b, s) => new(b, s)),
        Of<ReferenceNoDropout>("reference", "784-200-100-10, no dropout", (b, s) => new(b, s)),
        Of<Wide>("wide", "784-1024-1024-10, no dropout", (b, s) => new(b, s)),
        Of<WideDropout>("wide-dropout", "wide, dropout 0.2 (inputs) / 0.5 (hidden)", (b, s) => new(b, s)),
        Of<WideDropoutMaxNorm>("wide-dropout-maxnorm", "wide, dropout 0.2 / 0.5 and max-norm 3", (b, s) => new(b, s)),
        Of<WideGaussianDropout>("wide-gaussian", "wide, Gaussian dropout 0.2 / 0.5", (b, s) => new(b, s)),
        Of<WideConcreteDropout>("wide-concrete", "wide, concrete dropout learned from 0.2 / 0.5 (Gal's regularizers for N = 60000)", (b, s) => new(b, s)),
    ];

    private static Configuration Of<TNetwork>(string name, string description, Func<int, ulong, TNetwork> create)
        where TNetwork : IClassifierNetwork =>
        new(name, description, (seed, data, epochs, threads) => Train(name, create(128, seed), data, epochs, seed, threads));

    public static Curves Train<TNetwork>(string label, TNetwork network, MnistData data, int epochs, ulong seed, int threads)
        where TNetwork : IClassifierNetwork
    {
        var trainer = new Trainer<TNetwork>(network, new Adam(0.001f), batchSize: 128, shuffleSeed: seed, threads: threads);
        var train = new double[epochs];
        var test = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            EpochResult result = trainer.TrainEpoch(data.Train);
            train[epoch] = trainer.Evaluate(data.Train).Accuracy;
            test[epoch] = trainer.Evaluate(data.Test).Accuracy;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label,-22} epoch {epoch + 1,3}: train {train[epoch]:P2}, test {test[epoch]:P2}, loss {result.MeanLoss:F4}, {result.Elapsed.TotalSeconds:F2} s{LearnedRates(network)}"));
        }
        if (ConcreteDropoutRates.Of(network).Length > 0)
            Console.WriteLine($"{label,-22} learned concrete dropout rates after {epochs} epoch(s): " +
                string.Join(", ", ConcreteDropoutRates.Of(network).Select(r => r.ToString("F4", CultureInfo.InvariantCulture))));
        return new Curves(label, train, test);
    }

    /// <summary>", concrete dropout rates 0.1, 0.42, …" for a network with concrete dropout layers (their current rates), else "".</summary>
    private static string LearnedRates(ICompiledNetwork network)
    {
        double[] rates = ConcreteDropoutRates.Of(network);
        return rates.Length == 0 ? "" : ", concrete dropout rates " + string.Join(", ", rates.Select(r => r.ToString("F4", CultureInfo.InvariantCulture)));
    }

    /// <summary>The curves as CSV, one line per configuration and epoch (the format peers/pytorch_study.py writes).</summary>
    public static void WriteCsv(string path, IEnumerable<Curves> runs)
    {
        // Written beside the target and moved over it, so an interrupted run never leaves half a CSV behind.
        string partial = path + ".partial";
        using (var writer = new StreamWriter(partial))
        {
            writer.WriteLine("configuration,epoch,train_accuracy,test_accuracy");
            foreach (Curves run in runs)
                for (int e = 0; e < run.TestAccuracy.Length; e++)
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{run.Label},{e + 1},{run.TrainAccuracy[e]:F4},{run.TestAccuracy[e]:F4}"));
        }
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>Curves read back from a CSV of either program (extra columns ignored).</summary>
    public static List<Curves> ReadCsv(string path)
    {
        var rows = File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))
            .Select(f => (Name: f[0], Epoch: int.Parse(f[1], CultureInfo.InvariantCulture),
                Train: double.Parse(f[2], CultureInfo.InvariantCulture), Test: double.Parse(f[3], CultureInfo.InvariantCulture)));
        return rows.GroupBy(r => r.Name)
            .Select(g => g.OrderBy(r => r.Epoch).ToArray())
            .Select(r => new Curves(r[0].Name, r.Select(x => x.Train).ToArray(), r.Select(x => x.Test).ToArray()))
            .ToList();
    }
}
