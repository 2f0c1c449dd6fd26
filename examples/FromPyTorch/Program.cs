using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using CompiledNets;
using CompiledNets.Examples;
using CompiledNets.Examples.FromPyTorch;

// Step 2 of the README's walk-through: PyTorch's state dict into a compiled network, evaluated on the test split, and
// saved in CompiledNets' own layout so that step 3 can compile it into a NativeAOT executable.

var model = new Option<string?>("--model") { Description = "A torch.save state dict (.pt/.pth) or a PyTorch-named .safetensors file." };
var data = new Option<string?>("--data") { Description = "Folder with the four MNIST IDX files (plain or .gz). Default: MNIST_DIR, ./data/mnist, a download, then Fashion-MNIST." };
var save = new Option<string?>("--save") { Description = "Write the parameters to this .safetensors file in CompiledNets' names and layout (for -p:CompiledModel)." };
var onnx = new Option<string?>("--onnx") { Description = "Also write the inference graph to this .onnx file (for ONNX Runtime)." };
var root = new RootCommand("Loads a PyTorch-trained 784-200-100-10 network into CompiledNets and evaluates it.") { model, data, save, onnx };
root.SetAction(parsed =>
{
    var net = new TorchNet(maxBatchSize: 128);
    string? modelPath = parsed.GetValue(model);
#if COMPILED_MODEL
    string source = modelPath ?? "the parameters compiled into this executable";
#else
    if (modelPath is null)
    {
        Console.Error.WriteLine("--model is required (this build has no parameters compiled in).");
        return 2;
    }
    string source = modelPath;
#endif
    DataLocator.Located? located = DataLocator.Locate(parsed.GetValue(data), Console.Error);
    if (located is null) return 1;
    try
    {
        if (modelPath is not null)
            PyTorch.LoadStateDict(net, modelPath); // modules "0", "3", "6" inferred from the keys; [out, in] transposed
        Console.WriteLine($"Parameters: {source}");
        Console.WriteLine(net.Summary());

        MnistData mnist = Mnist.Load(located.Directory);
        Evaluation test = new Trainer<TorchNet>(net, new Adam()).Evaluate(mnist.Test);
        int correct = (int)Math.Round(test.Accuracy * mnist.Test.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {test.Accuracy:F4} ({correct} of {mnist.Test.Count}) on {located.Description}"));

        if (parsed.GetValue(save) is { } savePath)
        {
            SafeTensors.Save(net, savePath, new Dictionary<string, string> { ["data"] = located.Description, ["source"] = source });
            Console.WriteLine($"Saved {savePath} (CompiledNets' names and [in, out] layout).");
        }
        if (parsed.GetValue(onnx) is { } onnxPath)
        {
            Onnx.Save(net, onnxPath);
            Console.WriteLine($"Saved {onnxPath} (ONNX opset 13: Gemm, Relu, Softmax).");
        }
        return 0;
    }
    catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
});
return root.Parse(args).Invoke();
