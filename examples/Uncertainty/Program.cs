using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using CompiledNets;
using CompiledNets.Examples;

// Monte Carlo dropout (Gal and Ghahramani, 2016): keep dropout on at prediction time, run many passes, and read the
// spread of the class probabilities as the network's uncertainty. This trains (or loads) the tutorial's network,
// then compares the spread on test images the network finds ambiguous with the spread on clear-cut ones.

var data = new Option<string?>("--data") { Description = "Folder with the four MNIST IDX files. Default: as examples/Mnist searches." };
var load = new Option<string?>("--load") { Description = "Parameters saved by examples/Mnist --save (.safetensors); otherwise trains first." };
var epochs = new Option<int>("--epochs") { Description = "Epochs to train when not loading.", DefaultValueFactory = _ => 5 };
var samples = new Option<int>("--samples") { Description = "Monte Carlo passes per image.", DefaultValueFactory = _ => 50 };
var seed = new Option<ulong>("--seed") { Description = "Seeds weights, masks and shuffling.", DefaultValueFactory = _ => 1UL };

var root = new RootCommand("Monte Carlo dropout: prediction spread on ambiguous versus clear test images.") { data, load, epochs, samples, seed };
root.SetAction(parsed =>
{
    int passes = parsed.GetValue(samples);
    if (passes < 2 || parsed.GetValue(epochs) < 1)
    {
        Console.Error.WriteLine("--samples must be at least 2 and --epochs at least 1.");
        return 2;
    }
    DataLocator.Located? located = DataLocator.Locate(parsed.GetValue(data), Console.Error);
    if (located is null) return 1;
    MnistData mnist;
    var net = new TutorialNet(maxBatchSize: 128, seed: parsed.GetValue(seed));
    try
    {
        mnist = Mnist.Load(located.Directory);
        if (parsed.GetValue(load) is { } path)
        {
            SafeTensors.Load(net, path);
            Console.WriteLine($"Loaded parameters from {path}.");
        }
        else
        {
            var trainer = new Trainer<TutorialNet>(net, new Adam(), batchSize: 128, shuffleSeed: parsed.GetValue(seed));
            for (int epoch = 1; epoch <= parsed.GetValue(epochs); epoch++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch}: training loss {trainer.TrainEpoch(mnist.Train).MeanLoss:F4}"));
        }
    }
    catch (Exception e) when (e is InvalidDataException or IOException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }

    Console.WriteLine($"Scoring {mnist.Test.Count} test images of {located.Description} with {passes} dropout samples each...");
    var scores = UncertaintyScores.Compute(net, mnist.Test, passes);
    UncertaintyScores.Report(scores, Console.Out);
    return 0;
});
return root.Parse(args).Invoke();
