using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using CompiledNets;
using CompiledNets.Examples;
using CompiledNets.Examples.LeNet;

// Trains a convolutional network on the training split and reports accuracy on the test split, with the CLI, progress
// and summary of examples/Mnist.

var network = new Option<string>("--network") { Description = "LeNet (DESIGN.md's) or FashionCnn (the stronger one).", DefaultValueFactory = _ => "LeNet" };
network.AcceptOnlyFromAmong("LeNet", "FashionCnn");
var data = new Option<string?>("--data") { Description = "Folder with the four MNIST IDX files (plain or .gz). Default: MNIST_DIR, ./data/mnist, a download, then Fashion-MNIST." };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 10 };
var batchSize = new Option<int>("--batch-size") { Description = "Examples per training step.", DefaultValueFactory = _ => 128 };
var learningRate = new Option<float>("--learning-rate") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 0.001f };
var seed = new Option<ulong>("--seed") { Description = "Seeds the weights, dropout masks and shuffling.", DefaultValueFactory = _ => 1UL };
var threads = new Option<int>("--threads") { Description = "Threads each training step splits its work between.", DefaultValueFactory = _ => 1 };
var save = new Option<string?>("--save") { Description = "Write the trained parameters to this .safetensors file." };

var root = new RootCommand("Trains a convolutional network (LeNet or a stronger CNN) with CompiledNets.")
{
    network, data, epochs, batchSize, learningRate, seed, threads, save,
};
root.SetAction(parsed =>
{
    var options = new TrainingOptions(
        parsed.GetValue(epochs), parsed.GetValue(batchSize), parsed.GetValue(learningRate), parsed.GetValue(seed),
        parsed.GetValue(threads), parsed.GetValue(save), Data: null);
    if (options.Validate() is { } problem)
    {
        Console.Error.WriteLine(problem);
        return 2;
    }

    DataLocator.Located? located = DataLocator.Locate(parsed.GetValue(data), Console.Error);
    if (located is null) return 1;
    options = options with { Data = located };

    MnistData mnist;
    try
    {
        mnist = CompiledNets.Mnist.Load(located.Directory);
    }
    catch (Exception e) when (e is InvalidDataException or IOException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }

    string name = parsed.GetValue(network)!;
    Console.WriteLine($"Training on {located.Description}: {mnist.Train.Count} training, {mnist.Test.Count} test images.");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Network {name}; Adam {options.LearningRate}, batch {options.BatchSize}, seed {options.Seed}."));
    if (name == "LeNet")
    {
        var lenet = new LeNet(options.BatchSize, options.Seed);
        Console.WriteLine(lenet.Summary());
        return TrainingRun.Run(lenet, mnist, options);
    }
    var cnn = new FashionCnn(options.BatchSize, options.Seed);
    Console.WriteLine(cnn.Summary());
    return TrainingRun.Run(cnn, mnist, options);
});
return root.Parse(args).Invoke();
