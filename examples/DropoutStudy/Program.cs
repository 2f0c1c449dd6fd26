using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using CompiledNets;
using CompiledNets.Examples;
using CompiledNets.Examples.DropoutStudy;

// The experiment behind the dropout tutorial's advice ("if your deep network is not overfitting, use a bigger one and
// dropout"): the reference network without dropout against a wide one without and with members of the dropout
// family, on the same data, seed and epochs. Writes ours.csv (keeping the rows of configurations not trained this
// time), test-accuracy.png and gap.png to --output; with
// --pytorch (peers/pytorch_study.py's CSV) PyTorch's curves of the same configurations are drawn dashed beside ours,
// and their mean and largest per-epoch difference in test accuracy printed.

var data = new Option<string?>("--data") { Description = "Folder with the four MNIST IDX files. Default: as examples/Mnist searches." };
var epochs = new Option<int>("--epochs") { Description = "Epochs for each network.", DefaultValueFactory = _ => 30 };
var seed = new Option<ulong>("--seed") { Description = "Seeds weights, masks and shuffling (the same for every network).", DefaultValueFactory = _ => 1UL };
var threads = new Option<int>("--threads") { Description = "Threads each training step splits its batch between.", DefaultValueFactory = _ => 1 };
var configurations = new Option<string>("--configurations")
{
    Description = "Comma-separated configurations: " + string.Join(", ", Study.Configurations.Select(c => c.Name)) + ".",
    DefaultValueFactory = _ => string.Join(",", Study.Configurations.Select(c => c.Name).Where(n => !n.StartsWith("tutorial", StringComparison.Ordinal))),
};
var output = new Option<string>("--output") { Description = "Folder for ours.csv and the two PNGs.", DefaultValueFactory = _ => Path.Combine("docs", "dropout-study") };
var pytorch = new Option<string?>("--pytorch") { Description = "peers/pytorch_study.py's CSV, to draw and compare." };
var plotOnly = new Option<bool>("--plot-only") { Description = "Do not train: draw --output's ours.csv (and --pytorch) again." };

var root = new RootCommand("The dropout study: which networks, with which dropout, overfit and generalize.")
{
    data, epochs, seed, threads, configurations, output, pytorch, plotOnly,
};
root.SetAction(parsed =>
{
    string folder = parsed.GetValue(output)!;
    string oursCsv = Path.Combine(folder, "ours.csv");
    List<Curves> runs;
    string dataName = "Fashion-MNIST";
    if (parsed.GetValue(plotOnly))
    {
        runs = Study.ReadCsv(oursCsv);
    }
    else
    {
        int epochCount = parsed.GetValue(epochs);
        if (epochCount < 1)
        {
            Console.Error.WriteLine("--epochs must be at least 1.");
            return 2;
        }
        var chosen = new List<Configuration>();
        foreach (string name in parsed.GetValue(configurations)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Configuration? configuration = Study.Configurations.FirstOrDefault(c => c.Name == name);
            if (configuration is null)
            {
                Console.Error.WriteLine($"--configurations: unknown '{name}'; known: {string.Join(", ", Study.Configurations.Select(c => c.Name))}.");
                return 2;
            }
            chosen.Add(configuration);
        }
        DataLocator.Located? located = DataLocator.Locate(parsed.GetValue(data), Console.Error);
        if (located is null) return 1;
        dataName = located.Description;
        MnistData mnist;
        try
        {
            mnist = Mnist.Load(located.Directory);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        ulong runSeed = parsed.GetValue(seed);
        Console.WriteLine($"Training on {located.Description}, {epochCount} epochs per network, seed {runSeed}.");
        runs = chosen.Select(c => c.Train(runSeed, mnist, epochCount, parsed.GetValue(threads))).ToList();
        // Configurations not trained this time keep their rows from an earlier run, so the study can be run (and
        // extended) one configuration at a time.
        if (File.Exists(oursCsv))
            runs.AddRange(Study.ReadCsv(oursCsv).Where(earlier => runs.All(r => r.Label != earlier.Label)));
        runs = runs.OrderBy(r => Study.Configurations.ToList().FindIndex(c => c.Name == r.Label) is var i && i < 0 ? int.MaxValue : i).ToList();
        Directory.CreateDirectory(folder);
        Study.WriteCsv(oursCsv, runs);
    }

    List<Curves> peers = parsed.GetValue(pytorch) is { } peerCsv ? Study.ReadCsv(peerCsv) : [];
    string shortName = dataName.Contains(" from ", StringComparison.Ordinal) ? dataName[..dataName.IndexOf(" from ", StringComparison.Ordinal)] : dataName;
    AccuracyPlot.Write(Path.Combine(folder, "test-accuracy.png"), $"Test accuracy per epoch ({shortName}; dashed: PyTorch)", "test accuracy", runs, peers, c => c.TestAccuracy);
    AccuracyPlot.Write(Path.Combine(folder, "gap.png"), $"Train minus test accuracy per epoch ({shortName}; dashed: PyTorch)", "train − test accuracy", runs, peers, c => c.Gap);

    Console.WriteLine();
    Console.WriteLine("configuration          best test (epoch)   last test   last train   last gap   PyTorch best   |Δ test| per epoch: mean, largest");
    foreach (Curves run in runs)
    {
        (double best, int at) = run.BestTest;
        string peerText = "";
        if (peers.FirstOrDefault(p => p.Label == run.Label) is { } peer)
        {
            int shared = Math.Min(peer.TestAccuracy.Length, run.TestAccuracy.Length);
            double[] differences = Enumerable.Range(0, shared).Select(e => Math.Abs(peer.TestAccuracy[e] - run.TestAccuracy[e])).ToArray();
            peerText = string.Create(CultureInfo.InvariantCulture, $"{peer.BestTest.Accuracy,8:P2} ({peer.BestTest.Epoch,2})   {differences.Average():P2}, {differences.Max():P2}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Label,-22} {best,8:P2} ({at,2})        {run.TestAccuracy[^1],8:P2}   {run.TrainAccuracy[^1],9:P2}   {run.Gap[^1],7:P2}   {peerText}"));
    }
    Console.WriteLine($"Wrote {Path.GetFullPath(folder)}: ours.csv, test-accuracy.png, gap.png.");
    return 0;
});
return root.Parse(args).Invoke();
