using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace CompiledNets.Tests.CrossCheck;

/// <summary>
/// Our generated passes against PyTorch, which nobody here wrote: same parameters, inputs, labels and dropout
/// masks; loss, outputs and every gradient compared. The fixture comes from make_pytorch_fixtures.py (see the
/// README for how to regenerate it), computed in float64 on the float32 values we are given.
/// </summary>
public class PyTorchCrossCheckTests
{
    // Relative tolerance 1e-5, measured against the larger of the element and the largest element of its
    // tensor: our passes run in float32 (unit roundoff 6e-8) over sums of at most 20 terms, so the error of an
    // element is a few 1e-7 of the magnitudes summed into it, which the tensor's largest element bounds. An
    // element that is itself tiny (a gradient through a nearly dead unit) is held to the tensor's scale.
    private const double Tolerance = 1e-5;

    private static readonly JsonElement Fixtures = LoadFixtures();

    private static JsonElement LoadFixtures()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "CrossCheck", "pytorch_fixtures.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("fixtures").Clone();
    }

    private static JsonElement Fixture(string name) =>
        Fixtures.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);

    private static float[] Floats(JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>Copies PyTorch's 0/1 masks into the network's mask buffers, as the kept value the network uses.</summary>
    private static void SetMasks(JsonElement fixture, int batch, Func<int, Span<float>> maskBuffer, float[] keptValues)
    {
        JsonElement[] masks = fixture.GetProperty("masks").EnumerateArray().ToArray();
        Assert.Equal(keptValues.Length, masks.Length);
        for (int i = 0; i < masks.Length; i++)
        {
            float[] zeroOne = masks[i].EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Span<float> buffer = maskBuffer(i);
            Assert.Equal(0, zeroOne.Length % batch);
            for (int j = 0; j < zeroOne.Length; j++)
                buffer[j] = zeroOne[j] * keptValues[i];
        }
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            double bound = Tolerance * Math.Max(Math.Abs(expected[i]), scale);
            Assert.True(error <= bound, $"{what}[{i}]: ours {actual[i]:R}, PyTorch {expected[i]:R}, error {error:E2} > {bound:E2}");
        }
    }

    private static void AssertLossClose(double expected, float actual) =>
        Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Abs(expected), $"loss: ours {actual:R}, PyTorch {expected:R}");

    [Fact]
    public void Classifier_with_both_scaling_rules_matches_PyTorch()
    {
        // Dropout 1 scales at inference (kept value 1); dropout 2 is inverted with p = 0.7 (kept value 1/0.7).
        var net = new CrossCheckClassifier(maxBatchSize: 8);
        CheckClassifier(nameof(CrossCheckClassifier), net, net.DropoutMask, net.ForwardWithCurrentMasks, [1f, (float)(1 / 0.7)]);
    }

    [Fact]
    public void Reference_shaped_network_matches_PyTorch()
    {
        var net = new CrossCheckReferenceShape(maxBatchSize: 8);
        CheckClassifier(nameof(CrossCheckReferenceShape), net, net.DropoutMask, net.ForwardWithCurrentMasks, [1f, 1f]);
    }

    [Fact]
    public void Regression_with_input_dropout_matches_PyTorch()
    {
        JsonElement fixture = Fixture(nameof(CrossCheckRegression));
        int batch = fixture.GetProperty("batch").GetInt32();
        var net = new CrossCheckRegression(maxBatchSize: batch);
        Floats(fixture, "parameters").CopyTo(net.Parameters);
        SetMasks(fixture, batch, net.DropoutMask, [(float)(1 / 0.8)]);
        float[] targets = Floats(fixture, "targets");

        ReadOnlySpan<float> outputs = net.ForwardWithCurrentMasks(Floats(fixture, "inputs"), batch);
        AssertClose(Doubles(fixture, "outputs"), outputs, "outputs");
        AssertLossClose(fixture.GetProperty("loss").GetDouble(), net.Loss(targets));
        net.Backward(targets);
        AssertClose(Doubles(fixture, "gradients"), net.Gradients, "gradients");
    }

    /// <summary>
    /// Loads the fixture's parameters and masks into <paramref name="net"/> (whose mask hooks are generated members,
    /// so they come in as delegates) and compares outputs, loss and gradients with PyTorch's.
    /// </summary>
    private static void CheckClassifier(string name, IClassifierNetwork net, Func<int, Span<float>> maskBuffer,
        Func<ReadOnlySpan<float>, int, ReadOnlySpan<float>> forwardWithMasks, float[] keptValues)
    {
        JsonElement fixture = Fixture(name);
        int batch = fixture.GetProperty("batch").GetInt32();
        Floats(fixture, "parameters").CopyTo(net.Parameters);
        SetMasks(fixture, batch, maskBuffer, keptValues);
        int[] labels = fixture.GetProperty("targets").EnumerateArray().Select(v => v.GetInt32()).ToArray();

        ReadOnlySpan<float> outputs = forwardWithMasks(Floats(fixture, "inputs"), batch);
        AssertClose(Doubles(fixture, "outputs"), outputs, "outputs");
        AssertLossClose(fixture.GetProperty("loss").GetDouble(), net.Loss(labels));
        net.Backward(labels);
        AssertClose(Doubles(fixture, "gradients"), net.Gradients, "gradients");
    }

    [Fact]
    public void A_wrong_mask_is_detected()
    {
        // The comparison can fail: dropping every unit of the first example in the first mask (one kept unit
        // alone may be a dead ReLU) changes that example's outputs beyond tolerance.
        JsonElement fixture = Fixture(nameof(CrossCheckReferenceShape));
        int batch = fixture.GetProperty("batch").GetInt32();
        var net = new CrossCheckReferenceShape(maxBatchSize: batch);
        Floats(fixture, "parameters").CopyTo(net.Parameters);
        SetMasks(fixture, batch, net.DropoutMask, [1f, 1f]);
        net.DropoutMask(0).Slice(0, 16).Clear();

        float[] outputs = net.ForwardWithCurrentMasks(Floats(fixture, "inputs"), batch).ToArray();
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertClose(Doubles(fixture, "outputs"), outputs, "outputs"));
    }
}
