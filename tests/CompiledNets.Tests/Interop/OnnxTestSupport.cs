using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Networks;
using CompiledNets.Tests.Numerics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CompiledNets.Tests.Interop;

/// <summary>The networks the ONNX tests run, random parameters and inputs, ONNX Runtime and the ONNX checker.</summary>
internal static class OnnxTestSupport
{
    /// <summary>Every network of Interop/OnnxNetworks.cs and the image and MLP networks of the other tests, by name.</summary>
    private static readonly Dictionary<string, Func<ulong, ICompiledNetwork>> Factories = new()
    {
        [nameof(OnnxMlpNet)] = seed => new OnnxMlpNet(8, seed),
        [nameof(OnnxRegressionNet)] = seed => new OnnxRegressionNet(8, seed),
        [nameof(OnnxValidConvNet)] = seed => new OnnxValidConvNet(8, seed),
        [nameof(OnnxSameConvNet)] = seed => new OnnxSameConvNet(8, seed),
        [nameof(OnnxPoolDropoutNet)] = seed => new OnnxPoolDropoutNet(8, seed),
        [nameof(OnnxImageRegressionNet)] = seed => new OnnxImageRegressionNet(8, seed),
        [nameof(OnnxNoiseFamilyNet)] = seed => new OnnxNoiseFamilyNet(8, seed),
        [nameof(OnnxMeanWeightDropConnectNet)] = seed => new OnnxMeanWeightDropConnectNet(8, seed),
        [nameof(OnnxConcreteDropoutNet)] = seed => new OnnxConcreteDropoutNet(8, seed),
        [nameof(PyTorchOnnxMlp)] = seed => new PyTorchOnnxMlp(8, seed),
        [nameof(PyTorchOnnxCnn)] = seed => new PyTorchOnnxCnn(8, seed),
        [nameof(PyTorchOnnxMlpAtInference)] = seed => new PyTorchOnnxMlpAtInference(8, seed),
        [nameof(ReferenceNet)] = seed => new ReferenceNet(8, seed),
        [nameof(SmallMixedNet)] = seed => new SmallMixedNet(8, seed),
        [nameof(SmallRegressionNet)] = seed => new SmallRegressionNet(8, seed),
        [nameof(LinearTwoLayerNet)] = seed => new LinearTwoLayerNet(8, seed),
        [nameof(StridedSameConvNet)] = seed => new StridedSameConvNet(8, seed),
        [nameof(ConvDropoutNet)] = seed => new ConvDropoutNet(8, seed),
        [nameof(OverlappingPoolNet)] = seed => new OverlappingPoolNet(8, seed),
        [nameof(ImageRegressionNet)] = seed => new ImageRegressionNet(8, seed),
        [nameof(AllocationLeNet)] = seed => new AllocationLeNet(8, seed),
    };

    public static IEnumerable<object[]> NetworkNames => Factories.Keys.Select(name => new object[] { name });

    /// <summary>A network with random parameters (biases too), a pure function of <paramref name="seed"/>.</summary>
    public static ICompiledNetwork Create(string name, int seed = 1)
    {
        ICompiledNetwork network = Factories[name]((ulong)seed);
        Randomize(network, seed);
        return network;
    }

    /// <summary>Creates a fresh instance with other random parameters, for loading into.</summary>
    public static ICompiledNetwork Fresh(string name) => Create(name, seed: 999);

    /// <summary>
    /// Weights uniform in ±sqrt(6 / fan-in) (He's range, so activations stay of order one as in a trained network and
    /// float32 rounding stays far below the tests' 1e-5), biases uniform in ±0.5 (not the initial zeros).
    /// </summary>
    public static void Randomize(ICompiledNetwork network, int seed)
    {
        var random = new Random(seed);
        Span<float> parameters = network.Parameters;
        foreach (ParameterTensor tensor in network.ParameterTensors)
        {
            int fanIn = tensor.Shape.Count == 1 ? 0 : tensor.Length / tensor.Shape[tensor.Shape.Count == 2 ? 1 : 0];
            double range = fanIn == 0 ? 0.5 : Math.Sqrt(6.0 / fanIn);
            foreach (ref float value in parameters.Slice(tensor.Offset, tensor.Length))
                value = (float)((random.NextDouble() * 2 - 1) * range);
        }
    }

    public static float[] Inputs(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    public static float[] Predict(ICompiledNetwork network, float[] inputs, int batch)
    {
        var outputs = new float[batch * network.OutputSize];
        network.Predict(inputs, outputs, batch);
        return outputs;
    }

    /// <summary>Runs the model at <paramref name="path"/> in ONNX Runtime (one thread) on [batch, ...inputShape].</summary>
    public static float[] RunOnnxRuntime(string path, float[] inputs, int[] inputShape, out string outputName)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        string inputName = session.InputMetadata.Keys.Single();
        outputName = session.OutputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(inputs, inputShape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.Single().AsTensor<float>().ToArray();
    }

    public static byte[] Bytes(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    public static ModelProto ReadModel(string path) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

    public static void WriteModel(ModelProto model, string path) => File.WriteAllBytes(path, model.ToByteArray());

    public static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", file);

    // ------------------------------------------------------------------ onnx.checker (Debian python3-onnx)

    public const string Python = "/usr/bin/python3";

    /// <summary>Null when <c>import onnx</c> works in /usr/bin/python3, otherwise why the checker tests skip.</summary>
    public static string? CheckerUnavailable { get; } = FindChecker();

    private static string? FindChecker()
    {
        if (!File.Exists(Python))
            return $"{Python} is missing: the onnx.checker tests need Debian's python3-onnx (apt-get install python3-onnx)";
        (int code, string output) = Run(Python, ["-c", "import onnx"]);
        return code == 0 ? null : $"python3-onnx is not installed (apt-get install python3-onnx): import onnx failed: {output.Trim()}";
    }

    /// <summary>Runs <c>onnx.checker.check_model(onnx.load(path), full_check=True)</c>; returns its output when it fails, null when it passes.</summary>
    public static string? Check(string path)
    {
        (int code, string output) = Run(Python,
            ["-c", "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path]);
        return code == 0 ? null : $"exit code {code}: {output}";
    }

    private static (int Code, string Output) Run(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A theory that skips, saying why, when Debian's python3-onnx is not installed.</summary>
public sealed class OnnxCheckerTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the checker is unavailable.</summary>
    public OnnxCheckerTheoryAttribute()
    {
        if (OnnxTestSupport.CheckerUnavailable is string reason) Skip = reason;
    }
}
