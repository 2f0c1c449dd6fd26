using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CompiledNets.Tests.Packaging;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>The files make_state_dict_fixtures.py wrote beside this one, and what PyTorch predicted with them.</summary>
internal static class StateDictFixtures
{
    public static string Directory { get; } = Path.Combine(RepositoryPaths.Root, "tests", "CompiledNets.Tests", "PyTorchInterop");

    public static string File(string name) => Path.Combine(Directory, name);

    private static readonly JsonElement Json = Load();

    private static JsonElement Load()
    {
        using JsonDocument document = JsonDocument.Parse(System.IO.File.ReadAllText(File("state_dict_fixtures.json")));
        return document.RootElement.GetProperty("fixtures").Clone();
    }

    /// <summary>"mlp" or "cnn": the network a fixture file belongs to.</summary>
    public static string NetworkOf(string file) => file.StartsWith("cnn", StringComparison.Ordinal) ? "cnn" : "mlp";

    public static ICompiledNetwork NewNetwork(string network, ulong seed = 99) =>
        network == "cnn" ? new StateDictCnn(maxBatchSize: 8, seed) : new StateDictMlp(maxBatchSize: 8, seed);

    public static string[] Modules(string network) =>
        Json.GetProperty(network).GetProperty("modules").EnumerateArray().Select(m => m.GetString()!).ToArray();

    public static float[] Inputs(string network) =>
        Json.GetProperty(network).GetProperty("inputs").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    public static double[] Probabilities(string network) =>
        Json.GetProperty(network).GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>A copy of the parameters, compared bit for bit (NaN payloads and the sign of zero included).</summary>
    public static int[] Bits(ICompiledNetwork network) =>
        network.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>
    /// Asserts that loading <paramref name="path"/> is an <see cref="InvalidDataException"/> whose message starts with the
    /// path and holds every phrase, and that the network's parameters are unchanged; returns the message.
    /// </summary>
    public static string AssertRefused(ICompiledNetwork network, string path, IReadOnlyList<string>? modules, params string[] phrases)
    {
        int[] before = Bits(network);
        var e = Assert.Throws<InvalidDataException>(() => PyTorch.LoadStateDict(network, path, modules));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        foreach (string phrase in phrases)
            Assert.Contains(phrase, e.Message);
        Assert.Equal(before, Bits(network));
        return e.Message;
    }
}
