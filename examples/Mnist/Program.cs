using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using CompiledNets;
using CompiledNets.Examples;

// Trains the dropout tutorial's network on the training split and reports accuracy on the test split.

var data = new Option<string?>("--data") { Description = "Folder with the four MNIST IDX files (plain or .gz). Default: MNIST_DIR, ./data/mnist, a download, then Fashion-MNIST." };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 15 };
var batchSize = new Option<int>("--batch-size") { Description = "Examples per training step.", DefaultValueFactory = _ => 128 };
var learningRate = new Option<float>("--learning-rate") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 0.001f };
var seed = new Option<ulong>("--seed") { Description = "Seeds the weights, dropout masks and shuffling.", DefaultValueFactory = _ => 1UL };
var noDropout = new Option<bool>("--no-dropout") { Description = "Train the same network without its dropout layers." };
var threads = new Option<int>("--threads") { Description = "Threads each training step splits its batch between.", DefaultValueFactory = _ => 1 };
var save = new Option<string?>("--save") { Description = "Write the trained parameters to this .safetensors file (read by examples/Classify)." };

var root = new RootCommand("Trains the dropout tutorial's 784-200-100-10 network with CompiledNets.")
{
    data, epochs, batchSize, learningRate, seed, noDropout, threads, save,
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

    bool dropout = !parsed.GetValue(noDropout);
    Console.WriteLine($"Training on {located.Description}: {mnist.Train.Count} training, {mnist.Test.Count} test images.");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Network 784-200-100-10 ReLU, {(dropout ? "dropout 0.5 on both hidden layers" : "no dropout")}; Adam {options.LearningRate}, batch {options.BatchSize}, seed {options.Seed}."));
    return dropout
        ? TrainingRun.Run(new TutorialNet(options.BatchSize, options.Seed), mnist, options)
        : TrainingRun.Run(new TutorialNetNoDropout(options.BatchSize, options.Seed), mnist, options);
});
return root.Parse(args).Invoke();
