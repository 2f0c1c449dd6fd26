using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using CompiledNets;
using CompiledNets.Examples;
using CompiledNets.Examples.Classify;

// Classifies 28×28 images with parameters saved by `examples/Mnist --save`. No reflection, no native
// dependencies: it publishes with NativeAOT to a single small executable.
//
//   classify --model net.safetensors image.png other.pgm
//   classify --model net.safetensors --idx t10k-images-idx3-ubyte.gz --start 0 --count 10

const string Usage = """
    usage: classify --model FILE.safetensors [--invert] IMAGE.png|IMAGE.pgm ...
           classify --model FILE.safetensors --idx IMAGES-IDX-FILE [--start N] [--count N]
           classify --kernels
      Images are 28×28 grayscale (PNG or PGM), light strokes on a dark background as in MNIST;
      --invert flips dark-on-light images. Prints one line per image: name, class, probability.
      --kernels prints which kernels this executable runs (vector width, cache size).
    """;

if (CommandLine.AsksForKernels(args))
{
    Console.WriteLine(CompiledNets.Kernels.KernelInfo.Description);
    return 0;
}

#if COMPILED_MODEL
CommandLine? command = CommandLine.Parse(args, out string? error, modelRequired: false);
#else
CommandLine? command = CommandLine.Parse(args, out string? error);
#endif
if (command is null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
#if COMPILED_MODEL
    // The parameters are in the executable (checked against the declaration when it was built); --model, if given, replaces them.
    var net = new CompiledTutorialNet(maxBatchSize: 1);
    IReadOnlyDictionary<string, string> metadata = command.Model.Length > 0
        ? SafeTensors.Load(net, command.Model)
        : new Dictionary<string, string> { ["data"] = CompiledTutorialNet.ModelData };
#else
    var net = new TutorialNet(maxBatchSize: 1);
    IReadOnlyDictionary<string, string> metadata = SafeTensors.Load(net, command.Model);
#endif
    string[] classNames = ClassNames.For(metadata.TryGetValue("data", out string? data) ? data : "");
    var probabilities = new float[TutorialNet.OutputSize];
    foreach ((string name, float[] pixels) in Inputs.Read(command))
    {
        net.Predict(pixels, probabilities);
        int best = 0;
        for (int c = 1; c < probabilities.Length; c++)
            if (probabilities[c] > probabilities[best]) best = c;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}\t{best}\t{classNames[best]}\t{probabilities[best]:R}"));
    }
    return 0;
}
catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
