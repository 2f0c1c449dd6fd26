using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using CompiledNets;
using CompiledNets.Examples;
using CompiledNets.Examples.DropoutStudy;

// Trains the dropout tutorial's network twice on the same data and seed, once with dropout 0.5 on both hidden
// layers and once without, and plots train and test accuracy per epoch: the gap between the two curves of the
// network without dropout is the overfitting dropout is there to prevent.

var data = new Option<string?>("--data") { Description = "Folder with the four MNIST IDX files. Default: as examples/Mnist searches." };
var epochs = new Option<int>("--epochs") { Description = "Epochs for each network.", DefaultValueFactory = _ => 30 };
var seed = new Option<ulong>("--seed") { Description = "Seeds weights, masks and shuffling (the same for both networks).", DefaultValueFactory = _ => 1UL };
var output = new Option<string>("--output") { Description = "The PNG to write.", DefaultValueFactory = _ => Path.Combine("docs", "dropout-study.png") };

var root = new RootCommand("Trains the tutorial's network with and without dropout and plots the accuracy gap.") { data, epochs, seed, output };
root.SetAction(parsed =>
{
    int epochCount = parsed.GetValue(epochs);
    if (epochCount < 1)
    {
        Console.Error.WriteLine("--epochs must be at least 1.");
        return 2;
    }
    DataLocator.Located? located = DataLocator.Locate(parsed.GetValue(data), Console.Error);
    if (located is null) return 1;
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
    Curves withDropout = Study.Train("with dropout", new TutorialNet(128, runSeed), mnist, epochCount, runSeed);
    Curves withoutDropout = Study.Train("without dropout", new TutorialNetNoDropout(128, runSeed), mnist, epochCount, runSeed);

    string path = parsed.GetValue(output)!;
    AccuracyPlot.Write(path, located.Description, withDropout, withoutDropout);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Final train-test gap: {withDropout.Gap:P1} with dropout, {withoutDropout.Gap:P1} without. Wrote {Path.GetFullPath(path)}."));
    return 0;
});
return root.Parse(args).Invoke();
