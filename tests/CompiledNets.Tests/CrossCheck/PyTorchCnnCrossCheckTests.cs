using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace CompiledNets.Tests.CrossCheck;

/// <summary>
/// Our generated convolutional passes against PyTorch (F.conv2d, F.max_pool2d, autograd): same parameters, inputs,
/// labels and dropout masks; training-mode outputs, loss, every gradient and inference-mode outputs compared. The
/// fixture comes from make_pytorch_cnn_fixtures.py, computed in float64 on the float32 values we are given; the
/// networks are in PyTorchCnnNetworks.cs.
/// </summary>
public class PyTorchCnnCrossCheckTests
{
    // As in PyTorchCrossCheckTests: relative tolerance 1e-5, measured against the larger of the element and the
    // largest element of its tensor. The sums are longer here (a first-layer bias gradient adds up to 400 terms), so
    // the script checks that PyTorch's own float32 passes, in two summation orders, stay within 1e-6 on this fixture.
    private const double Tolerance = 1e-5;

    // Larger than every fixture's batch, so a mask copied to the wrong rows of its [maxBatchSize, width] buffer shows.
    private const int MaxBatchSize = 8;

    private static readonly JsonElement Fixtures = LoadFixtures();

    private static JsonElement LoadFixtures()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "CrossCheck", "pytorch_cnn_fixtures.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("fixtures").Clone();
    }

    private static JsonElement Fixture(string name) =>
        Fixtures.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);

    private static float[] Floats(JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>
    /// Copies the fixture's parameters into the network, checking the counts agree (a shorter fixture would otherwise
    /// leave the network's last parameters as initialized).
    /// </summary>
    private static void SetParameters(JsonElement fixture, ICompiledNetwork net)
    {
        float[] parameters = Floats(fixture, "parameters");
        Assert.Equal(parameters.Length, net.Parameters.Length);
        parameters.CopyTo(net.Parameters);
    }

    /// <summary>
    /// Copies the fixture's masks, which already hold the kept value (1, or 1/p for inverted scaling) or 0, into the
    /// first rows of the network's mask buffers: [maxBatchSize, C·H·W] for [Dropout], [maxBatchSize, C] for
    /// [SpatialDropout].
    /// </summary>
    private static void SetMasks(JsonElement fixture, int batch, Func<int, Span<float>> maskBuffer, int expectedCount)
    {
        JsonElement[] masks = fixture.GetProperty("masks").EnumerateArray().ToArray();
        Assert.Equal(expectedCount, masks.Length);
        for (int i = 0; i < masks.Length; i++)
        {
            float[] mask = masks[i].EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Span<float> buffer = maskBuffer(i);
            Assert.Equal(0, mask.Length % batch);
            Assert.Equal(MaxBatchSize * (mask.Length / batch), buffer.Length);
            buffer.Fill(float.NaN); // rows past the batch must not be read
            mask.CopyTo(buffer);
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
    public void Classifier_with_same_padding_pooling_and_both_dropouts_matches_PyTorch()
    {
        // SpatialDropout(0.25, Inverted): kept value 1/0.75; Dropout(0.5) per element, AtInference: kept value 1.
        var net = new CnnCrossCheckClassifier(MaxBatchSize);
        CheckClassifier(nameof(CnnCrossCheckClassifier), net, net.DropoutMask, net.ForwardWithCurrentMasks, masks: 2);
    }

    [Fact]
    public void Strided_same_padding_with_odd_total_and_overlapping_pooling_matches_PyTorch()
    {
        // SpatialDropout(0.5), AtInference: kept value 1; Dropout(0.3, Inverted) per element: kept value 1/0.7.
        var net = new CnnCrossCheckStridedSame(MaxBatchSize);
        CheckClassifier(nameof(CnnCrossCheckStridedSame), net, net.DropoutMask, net.ForwardWithCurrentMasks, masks: 2);
    }

    [Fact]
    public void Regression_with_kernel_larger_than_its_input_matches_PyTorch()
    {
        JsonElement fixture = Fixture(nameof(CnnCrossCheckRegression));
        int batch = fixture.GetProperty("batch").GetInt32();
        var net = new CnnCrossCheckRegression(MaxBatchSize);
        SetParameters(fixture, net);
        SetMasks(fixture, batch, net.DropoutMask, expectedCount: 1);
        float[] inputs = Floats(fixture, "inputs");
        float[] targets = Floats(fixture, "targets");

        ReadOnlySpan<float> outputs = net.ForwardWithCurrentMasks(inputs, batch);
        AssertClose(Doubles(fixture, "outputs"), outputs, "outputs");
        AssertLossClose(fixture.GetProperty("loss").GetDouble(), net.Loss(targets));
        net.Backward(targets);
        AssertClose(Doubles(fixture, "gradients"), net.Gradients, "gradients");
        AssertClose(Doubles(fixture, "inference_outputs"), net.Forward(inputs, batch, training: false), "inference outputs");
    }

    /// <summary>
    /// Loads the fixture's parameters and masks into <paramref name="net"/> (whose mask hooks are generated members,
    /// so they come in as delegates) and compares outputs, loss, gradients and inference outputs with PyTorch's.
    /// </summary>
    private static void CheckClassifier(string name, IClassifierNetwork net, Func<int, Span<float>> maskBuffer,
        Func<ReadOnlySpan<float>, int, ReadOnlySpan<float>> forwardWithMasks, int masks)
    {
        JsonElement fixture = Fixture(name);
        int batch = fixture.GetProperty("batch").GetInt32();
        SetParameters(fixture, net);
        SetMasks(fixture, batch, maskBuffer, masks);
        float[] inputs = Floats(fixture, "inputs");
        int[] labels = fixture.GetProperty("targets").EnumerateArray().Select(v => v.GetInt32()).ToArray();

        ReadOnlySpan<float> outputs = forwardWithMasks(inputs, batch);
        AssertClose(Doubles(fixture, "outputs"), outputs, "outputs");
        AssertLossClose(fixture.GetProperty("loss").GetDouble(), net.Loss(labels));
        net.Backward(labels);
        AssertClose(Doubles(fixture, "gradients"), net.Gradients, "gradients");
        AssertClose(Doubles(fixture, "inference_outputs"), net.Forward(inputs, batch, training: false), "inference outputs");
    }

    [Fact]
    public void A_wrong_spatial_mask_is_detected()
    {
        // The comparison can fail: dropping every channel of the first example in the spatial mask (mask 0,
        // [batch, 3]) leaves that example's second convolution only its biases, which changes its outputs.
        JsonElement fixture = Fixture(nameof(CnnCrossCheckClassifier));
        int batch = fixture.GetProperty("batch").GetInt32();
        var net = new CnnCrossCheckClassifier(MaxBatchSize);
        SetParameters(fixture, net);
        SetMasks(fixture, batch, net.DropoutMask, expectedCount: 2);
        net.DropoutMask(0).Slice(0, 3).Clear();

        float[] outputs = net.ForwardWithCurrentMasks(Floats(fixture, "inputs"), batch).ToArray();
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertClose(Doubles(fixture, "outputs"), outputs, "outputs"));
    }
}
