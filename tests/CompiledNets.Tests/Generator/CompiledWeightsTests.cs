using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// [Network(…, Weights = "…")]: the generator reads the weights file (the build's base64 copy of it), checks it against
/// the declaration, and compiles its values in; the constructor starts from them.
/// </summary>
public class CompiledWeightsTests
{
    private const string Declaration = """
        using CompiledNets;
        namespace Samples;

        [Network(2, 4, 4, Weights = "model.safetensors")]
        [Conv2D(3, 3, Activation.ReLU, Padding = Padding.Same)]
        [MaxPool2D(2)]
        [Dense(5, Activation.Tanh)]
        [Dropout(0.5)]
        [Dense(3)]
        public partial class WeightedNet;
        """;

    /// <summary>The tensors of <see cref="Declaration"/>, in its order, with values from a seeded stream.</summary>
    private static (string Name, int[] Shape)[] Tensors =>
    [
        ("conv1.weight", [3, 2, 3, 3]), ("conv1.bias", [3]), ("dense1.weight", [12, 5]), ("dense1.bias", [5]),
        ("dense2.weight", [5, 3]), ("dense2.bias", [3]),
    ];

    [Fact]
    public void The_network_starts_from_the_compiled_in_values()
    {
        var tensors = Tensors.Select((t, i) => (t.Name, t.Shape, Values(t.Shape, seed: i))).ToArray();
        // The file lists its tensors in another order than the declaration: the generator lays them out by name.
        byte[] file = SafeTensorsFile(tensors.Reverse().ToArray());
        GeneratorRun run = TestCompilation.Run([InMemoryText.Weights("model.safetensors", file)], Declaration);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        float[] expected = tensors.SelectMany(t => t.Item3).ToArray();
        float[] actual = Construct(run, "Samples.WeightedNet").Parameters.ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void A_file_saved_by_SafeTensors_Save_compiles_in_and_round_trips_bit_for_bit()
    {
        var source = new Numerics.StridedSameConvNet(maxBatchSize: 1, seed: 42);
        string path = Path.Combine(Path.GetTempPath(), $"compiled-weights-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(source, path, new Dictionary<string, string> { ["note"] = "a \"quoted\" value" });
            string declaration = """
                using CompiledNets;
                namespace Samples;
                [Network(2, 6, 5, Weights = "trained/model.safetensors")]
                [Conv2D(3, 3, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
                [Conv2D(2, 2, Activation.Sigmoid)]
                [Dense(3)]
                public partial class FromFileNet;
                """;
            GeneratorRun run = TestCompilation.Run([InMemoryText.Weights("model.safetensors", File.ReadAllBytes(path))], declaration);
            Assert.Empty(run.GeneratorDiagnostics);
            ICompiledNetwork loaded = Construct(run, "Samples.FromFileNet");
            Assert.Equal(source.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), loaded.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static readonly TheoryData<string, string, string> Problems = new()
    {
        { "wrong shape", "CNN0025", "tensor 'dense1.weight' is [12, 4] in the file but [12, 5] in the declaration" },
        { "missing tensor", "CNN0025", "it has no tensor 'dense2.bias' (the declaration's is [3])" },
        { "extra tensor", "CNN0025", "it has a tensor 'dense3.weight' that the declaration does not" },
        { "wrong dtype", "CNN0025", "tensor 'conv1.bias' is F16, not F32" },
        { "not safetensors", "CNN0024", "it is not a .safetensors file: the header length" },
        { "not base64", "CNN0024", "is not base64" },
        { "short data", "CNN0024", "tensor 'dense2.bias' has data_offsets" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void A_file_that_does_not_fit_is_reported_at_the_attribute_and_nothing_is_emitted(string problem, string id, string message)
    {
        var tensors = Tensors.Select((t, i) => (t.Name, t.Shape, Values(t.Shape, seed: i))).ToList();
        string? dtype = null;
        switch (problem)
        {
            case "wrong shape": tensors[2] = ("dense1.weight", [12, 4], Values([12, 4], 2)); break;
            case "missing tensor": tensors.RemoveAt(5); break;
            case "extra tensor": tensors.Add(("dense3.weight", [3, 3], Values([3, 3], 9))); break;
            case "wrong dtype": dtype = "F16"; break;
        }
        byte[] file = SafeTensorsFile(tensors.ToArray(), dtypeOfSecond: dtype);
        AdditionalText text = problem switch
        {
            "not safetensors" => InMemoryText.Weights("model.safetensors", [1, 2, 3, 4, 5, 6, 7, 8, 9]),
            "not base64" => new InMemoryText("/project/obj/compilednets/model.safetensors.base64", "not base64 at all!"),
            "short data" => InMemoryText.Weights("model.safetensors", file[..^4]),
            _ => InMemoryText.Weights("model.safetensors", file),
        };

        GeneratorRun run = TestCompilation.Run([text], Declaration);

        run.AssertNoGeneratorException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal("Network(2, 4, 4, Weights = \"model.safetensors\")", run.LocatedText(diagnostic));
        Assert.Contains("model.safetensors", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void A_weights_file_missing_from_AdditionalFiles_is_reported()
    {
        GeneratorRun run = TestCompilation.Run([InMemoryText.Weights("other.safetensors", [0])], Declaration);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("CNN0023", diagnostic.Id);
        Assert.Contains("<AdditionalFiles Include=\"model.safetensors\" />", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    /// <summary>Values that differ per tensor and per element, with fractional bits, so a misplaced one shows.</summary>
    private static float[] Values(int[] shape, int seed)
    {
        int length = shape.Aggregate(1, (a, b) => a * b);
        return Enumerable.Range(0, length).Select(i => (float)Math.Sin(seed * 1000 + i * 0.37) * 0.7f).ToArray();
    }

    /// <summary>A .safetensors file written by hand (as another tool would), tensors in the order given.</summary>
    internal static byte[] SafeTensorsFile((string Name, int[] Shape, float[] Values)[] tensors, string? dtypeOfSecond = null)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            var (name, shape, values) = tensors[i];
            string dtype = i == 1 && dtypeOfSecond is not null ? dtypeOfSecond : "F32";
            header.Append($",\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + values.Length * 4}]}}");
            offset += values.Length * 4;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.Append('}').ToString());
        var file = new MemoryStream();
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        foreach (var (_, _, values) in tensors)
            foreach (float v in values) file.Write(BitConverter.GetBytes(v));
        return file.ToArray();
    }

    /// <summary>Emits the run's compilation, loads it into a collectible context and constructs <paramref name="typeName"/>.</summary>
    private static ICompiledNetwork Construct(GeneratorRun run, string typeName)
    {
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;
        var context = new AssemblyLoadContext("CompiledWeights" + Guid.NewGuid().ToString("N"), isCollectible: true);
        Type type = context.LoadFromStream(image).GetType(typeName, throwOnError: true)!;
        return (ICompiledNetwork)Activator.CreateInstance(type, 1, 0UL)!;
    }
}
