using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CompiledNets.Tests.Networks;
using CompiledNets.Tests.Packaging;

namespace CompiledNets.Tests.Aot;

/// <summary>
/// examples/Classify published with NativeAOT (and, separately, trimmed) gives no trim/AOT warnings, and the native
/// executable's predictions equal the JIT build's and this process's on the same parameters.
/// </summary>
public sealed class ClassifyPublishTests : IDisposable
{
    private const string FashionTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    private const int ImageCount = 20;
    private readonly string _work = Directory.CreateTempSubdirectory("compilednets-aot-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { /* a leftover temp folder is harmless */ }
    }

    private static string ClassifyProject => Path.Combine(RepositoryPaths.Root, "examples", "Classify", "Classify.csproj");

    [Fact]
    public void Native_executable_predicts_exactly_as_the_jit_build()
    {
        string model = TrainAndSave();
        string aotDirectory = Path.Combine(_work, "aot");
        var publish = ProcessRunner.Run("dotnet",
            $"publish \"{ClassifyProject}\" -c Release -r linux-x64 -p:PublishAot=true -o \"{aotDirectory}\"",
            RepositoryPaths.Root, TimeSpan.FromMinutes(8));
        Assert.True(publish.ExitCode == 0, "NativeAOT publish failed:\n" + publish.Output);
        AssertNoWarnings(publish.Output);
        string executable = Path.Combine(aotDirectory, "classify");
        Assert.True(File.Exists(executable), publish.Output);

        // The package's build targets publish x64 for x86-64-v3 (AVX2, FMA) unless told otherwise, so on a machine with
        // AVX2 the native executable runs the 256-bit kernels, not the 128-bit baseline ones.
        var kernels = ProcessRunner.Run(executable, "--kernels", _work, TimeSpan.FromMinutes(1));
        Assert.True(kernels.ExitCode == 0, kernels.Output);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            Assert.StartsWith("256-bit vectors", kernels.Output.Trim());

        string[] images = WriteImageFiles();
        string arguments = $"--model \"{model}\" --idx {FashionTestImages} --count {ImageCount} " + string.Join(" ", images.Select(i => $"\"{i}\""));
        var native = ProcessRunner.Run(executable, arguments, _work, TimeSpan.FromMinutes(1));
        Assert.True(native.ExitCode == 0, native.Output);
        string jitDll = Path.Combine(RepositoryPaths.Root, "examples", "Classify", "bin", RepositoryPaths.Configuration, "net10.0", "classify.dll");
        if (!File.Exists(jitDll)) // built with the solution; build it when only the test project was built
            Assert.Equal(0, ProcessRunner.Run("dotnet", $"build \"{ClassifyProject}\" -c {RepositoryPaths.Configuration}", RepositoryPaths.Root, TimeSpan.FromMinutes(5)).ExitCode);
        var jit = ProcessRunner.Run("dotnet", $"\"{jitDll}\" " + arguments, _work, TimeSpan.FromMinutes(1));
        Assert.True(jit.ExitCode == 0, jit.Output);

        List<Prediction> nativePredictions = Parse(native.Output), jitPredictions = Parse(jit.Output);
        Assert.Equal(ImageCount + images.Length, nativePredictions.Count);
        Assert.Equal(jitPredictions.Select(p => (p.Name, p.Class)), nativePredictions.Select(p => (p.Name, p.Class)));
        foreach ((Prediction a, Prediction j) in nativePredictions.Zip(jitPredictions))
            Assert.True(Math.Abs(a.Probability - j.Probability) <= 1e-6, $"{a.Name}: native {a.Probability:R}, JIT {j.Probability:R}");

        // And both agree with this process's network on the IDX images; the PNG and PGM copies of images 0 and 1
        // must classify as the IDX originals do.
        var net = new ReferenceNet(maxBatchSize: 1);
        SafeTensors.Load(net, model);
        (float[] pixels, _, _, _) = Mnist.LoadImages(FashionTestImages);
        var probabilities = new float[10];
        for (int i = 0; i < ImageCount; i++)
        {
            net.Predict(pixels.AsSpan(i * 784, 784), probabilities);
            int expected = Array.IndexOf(probabilities, probabilities.Max());
            Assert.Equal(expected, nativePredictions[i].Class);
            Assert.True(Math.Abs(probabilities[expected] - nativePredictions[i].Probability) <= 1e-6);
        }
        Assert.Equal(nativePredictions[0].Class, nativePredictions[ImageCount].Class);     // PNG of image 0
        Assert.Equal(nativePredictions[1].Class, nativePredictions[ImageCount + 1].Class); // PGM of image 1
    }

    [Fact]
    public void Native_executable_with_the_model_compiled_in_needs_no_model_file()
    {
        string model = TrainAndSave();
        string aotDirectory = Path.Combine(_work, "aot-compiled");
        var publish = ProcessRunner.Run("dotnet",
            $"publish \"{ClassifyProject}\" -c Release -r linux-x64 -p:PublishAot=true -p:CompiledModel=\"{model}\" " +
            $"-p:CompiledModelData=Fashion-MNIST -o \"{aotDirectory}\"",
            RepositoryPaths.Root, TimeSpan.FromMinutes(8));
        Assert.True(publish.ExitCode == 0, "NativeAOT publish with the model compiled in failed:\n" + publish.Output);
        AssertNoWarnings(publish.Output);
        Assert.True(File.Exists(Path.Combine(aotDirectory, "classify")), publish.Output);
        Assert.Empty(Directory.GetFiles(aotDirectory, "*.safetensors"));

        // The model file is gone before the executable runs: it must not need it.
        File.Delete(model);
        var native = ProcessRunner.Run(Path.Combine(aotDirectory, "classify"), $"--idx {FashionTestImages} --count {ImageCount}", _work, TimeSpan.FromMinutes(1));
        Assert.True(native.ExitCode == 0, native.Output);
        List<Prediction> predictions = Parse(native.Output);
        Assert.Equal(ImageCount, predictions.Count);

        var net = new ReferenceNet(maxBatchSize: 1);
        TrainInto(net);
        (float[] pixels, _, _, _) = Mnist.LoadImages(FashionTestImages);
        var probabilities = new float[10];
        string[] fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        string[] lines = native.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Split('\t').Length == 4).ToArray();
        for (int i = 0; i < ImageCount; i++)
        {
            net.Predict(pixels.AsSpan(i * 784, 784), probabilities);
            int expected = Array.IndexOf(probabilities, probabilities.Max());
            Assert.Equal(expected, predictions[i].Class);
            Assert.True(Math.Abs(probabilities[expected] - predictions[i].Probability) <= 1e-6, $"image {i}: native {predictions[i].Probability:R}, here {probabilities[expected]:R}");
            Assert.Equal(fashion[expected], lines[i].Split('\t')[2]); // the class names -p:CompiledModelData chose
        }
    }

    [Fact]
    public void Trimmed_publish_gives_no_warnings()
    {
        var publish = ProcessRunner.Run("dotnet",
            $"publish \"{ClassifyProject}\" -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -o \"{Path.Combine(_work, "trimmed")}\"",
            RepositoryPaths.Root, TimeSpan.FromMinutes(8));
        Assert.True(publish.ExitCode == 0, "trimmed publish failed:\n" + publish.Output);
        AssertNoWarnings(publish.Output);
    }

    private static void AssertNoWarnings(string output)
    {
        string[] warnings = output.Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.True(warnings.Length == 0, "publish warnings:\n" + string.Join("\n", warnings));
    }

    /// <summary>Parameters worth classifying with: the reference shape (as the example's TutorialNet) after 100 steps.</summary>
    private string TrainAndSave()
    {
        var net = new ReferenceNet(maxBatchSize: 128, seed: 11);
        TrainInto(net);
        string path = Path.Combine(_work, "model.safetensors");
        SafeTensors.Save(net, path, new Dictionary<string, string> { ["data"] = "Fashion-MNIST" });
        return path;
    }

    /// <summary>The same parameters every call: 100 Adam steps from seed 11 on the first 12,800 training images.</summary>
    private static void TrainInto(ReferenceNet net)
    {
        var trained = new ReferenceNet(maxBatchSize: 128, seed: 11);
        MnistData data = Mnist.Load("/usr/share/datasets/fashion-mnist");
        var adam = new Adam();
        for (int step = 0; step < 100; step++)
            trained.TrainStep(data.Train.Images.AsSpan(step * 128 * 784, 128 * 784), data.Train.Labels.AsSpan(step * 128, 128), adam);
        trained.Parameters.CopyTo(net.Parameters);
    }

    /// <summary>Test images 0 and 1 written as an 8-bit grayscale PNG and a binary PGM.</summary>
    private string[] WriteImageFiles()
    {
        (float[] pixels, _, _, _) = Mnist.LoadImages(FashionTestImages);
        byte[] Image(int index) => pixels.AsSpan(index * 784, 784).ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray();
        string png = Path.Combine(_work, "image0.png");
        File.WriteAllBytes(png, TestImageFiles.GrayPng(28, 28, Image(0)));
        string pgm = Path.Combine(_work, "image1.pgm");
        File.WriteAllBytes(pgm, TestImageFiles.GrayPgm(28, 28, Image(1)));
        return [png, pgm];
    }

    private sealed record Prediction(string Name, int Class, double Probability);

    private static List<Prediction> Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(fields => fields.Length == 4)
            .Select(f => new Prediction(Path.GetFileName(f[0]), int.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
}
