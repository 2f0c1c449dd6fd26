using System;
using System.IO;
using System.Text.RegularExpressions;
using CompiledNets.Tests.Packaging;
using Xunit.Abstractions;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>
/// Steps 1 and 2 of the README's walk-through "From PyTorch to a native executable", as written there (with a shorter
/// training): examples/FromPyTorch/train_in_pytorch.py trains and torch.saves the network, examples/FromPyTorch loads the
/// state dict and counts the same correct test images as PyTorch did, and its --save and --onnx files load back into
/// the network with the same parameters. Step 3 (the NativeAOT publish with the file compiled in) uses the build targets that
/// <see cref="Aot.ClassifyPublishTests"/> publishes and checks.
/// </summary>
public sealed partial class FromPyTorchWalkthroughTests(ITestOutputHelper output) : IDisposable
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";
    private readonly string _work = Directory.CreateTempSubdirectory("compilednets-walkthrough-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { /* a leftover temp folder is harmless */ }
    }

    [Fact]
    public void A_pytorch_trained_model_counts_the_same_correct_test_images_in_compilednets()
    {
        if (ProcessRunner.Run("/usr/bin/python3", "-c \"import torch\"", _work, TimeSpan.FromMinutes(1)).ExitCode != 0)
        {
            // .ci/run installs python3-torch, so CI always runs this; elsewhere say why it did nothing.
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, "python3-torch is missing (apt-get install python3-torch)");
            output.WriteLine("python3-torch is not installed: the walk-through was not run");
            return;
        }
        string example = Path.Combine(RepositoryPaths.Root, "examples", "FromPyTorch");
        string model = Path.Combine(_work, "model.pt"), saved = Path.Combine(_work, "net.safetensors"), onnx = Path.Combine(_work, "model.onnx");

        var train = ProcessRunner.Run("/usr/bin/python3",
            $"\"{Path.Combine(example, "train_in_pytorch.py")}\" --data {FashionMnist} --epochs 1 --limit 12800 --out \"{model}\"",
            _work, TimeSpan.FromMinutes(5));
        Assert.True(train.ExitCode == 0, train.Output);
        int pytorchCorrect = CorrectCount(train.Output);

        string dll = Path.Combine(example, "bin", RepositoryPaths.Configuration, "net10.0", "from-pytorch.dll");
        if (!File.Exists(dll)) // built with the solution; build it when only the test project was built
            Assert.Equal(0, ProcessRunner.Run("dotnet", $"build \"{example}\" -c {RepositoryPaths.Configuration}", RepositoryPaths.Root, TimeSpan.FromMinutes(5)).ExitCode);
        var run = ProcessRunner.Run("dotnet", $"\"{dll}\" --model \"{model}\" --data {FashionMnist} --save \"{saved}\" --onnx \"{onnx}\"", _work, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.Output);
        output.WriteLine(train.Output + run.Output);

        // The same weights and test images; the sums run in another order, so an image whose two best logits tie within
        // rounding may go either way: a few, not more.
        int ours = CorrectCount(run.Output);
        Assert.True(Math.Abs(ours - pytorchCorrect) <= 3, $"PyTorch {pytorchCorrect} correct, CompiledNets {ours}");
        Assert.True(pytorchCorrect > 7000, $"one epoch on 12,800 images should pass 70%: {pytorchCorrect}");

        var fromPt = new WalkthroughNet(maxBatchSize: 1);
        PyTorch.LoadStateDict(fromPt, model);
        var fromSaved = new WalkthroughNet(maxBatchSize: 1);
        SafeTensors.Load(fromSaved, saved);
        Assert.Equal(fromPt.Parameters.ToArray(), fromSaved.Parameters.ToArray());
        var fromOnnx = new WalkthroughNet(maxBatchSize: 1);
        Onnx.Load(fromOnnx, onnx);
        Assert.Equal(fromPt.Parameters.ToArray(), fromOnnx.Parameters.ToArray());
    }

    private static int CorrectCount(string text)
    {
        Match match = TestAccuracy().Match(text);
        Assert.True(match.Success, "no 'test accuracy' line in:\n" + text);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"test accuracy [0-9.]+ \(([0-9]+) of 10000\)")]
    private static partial Regex TestAccuracy();
}
