using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace CompiledNets.Tests.CrossCheck;

/// <summary>
/// Our AlphaDropout and SELU against PyTorch's own <c>F.alpha_dropout</c> and <c>F.selu</c> (autograd for the gradients):
/// the same parameters, inputs, labels and the masks PyTorch drew; training outputs, loss, every gradient and inference
/// outputs compared. The fixture comes from make_pytorch_alpha_dropout_fixture.py (float64 on the float32 values we are
/// given); the network is in PyTorchAlphaDropoutNetwork.cs.
/// </summary>
public class PyTorchAlphaDropoutCrossCheckTests
{
    // As in PyTorchCrossCheckTests: relative to the larger of the element and its tensor's largest element.
    private const double Tolerance = 1e-5;
    private const int MaxBatchSize = 8; // larger than the fixture's batch: a mask in the wrong rows would show

    private static readonly JsonElement Fixture = LoadFixture();

    private static JsonElement LoadFixture()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "CrossCheck", "pytorch_alpha_dropout_fixture.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static double[] Doubles(string property) => Fixture.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static float[] Floats(string property) => Doubles(property).Select(v => (float)v).ToArray();

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = Tolerance * Math.Max(Math.Abs(expected[i]), scale);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{what}[{i}] = {actual[i]:R}, PyTorch {expected[i]:R} (± {bound:G3})");
        }
    }

    [Fact]
    public void Training_outputs_loss_gradients_and_inference_match_PyTorch_with_its_masks()
    {
        int batch = Fixture.GetProperty("batch").GetInt32();
        float[] inputs = Floats("inputs");
        int[] labels = Fixture.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var net = new AlphaDropoutCrossCheckNet(maxBatchSize: MaxBatchSize, seed: 1);
        float[] parameters = Floats("parameters");
        Assert.Equal(parameters.Length, net.Parameters.Length);
        parameters.CopyTo(net.Parameters);

        // Our kept value a, from a sampled mask: it must be PyTorch's 1 / sqrt((α²·rate + 1)(1 − rate)), α = 1.7580993408473766.
        net.Forward(inputs, batch, training: true);
        JsonElement[] masks = Fixture.GetProperty("masks").EnumerateArray().ToArray();
        double[] rates = Doubles("rates");
        Assert.Equal(2, masks.Length);
        for (int layer = 0; layer < masks.Length; layer++)
        {
            Span<float> buffer = net.DropoutMask(layer);
            float kept = buffer.ToArray().Max();
            double torchA = 1 / Math.Sqrt((1.7580993408473766 * 1.7580993408473766 * rates[layer] + 1) * (1 - rates[layer]));
            Assert.Equal(torchA, kept, 1e-6);
            float[] keep = masks[layer].EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            buffer.Fill(float.NaN); // rows past the batch must not be read
            for (int i = 0; i < keep.Length; i++) buffer[i] = keep[i] == 1f ? kept : 0f;
        }

        ReadOnlySpan<float> outputs = net.ForwardWithCurrentMasks(inputs, batch);
        AssertClose(Doubles("outputs"), outputs, "outputs");
        float loss = net.Loss(labels);
        Assert.Equal(Fixture.GetProperty("loss").GetDouble(), loss, Tolerance * Math.Max(1, Math.Abs(loss)));
        net.Backward(labels);
        AssertClose(Doubles("gradients"), net.Gradients, "gradients");

        AssertClose(Doubles("inference_outputs"), net.Forward(inputs, batch, training: false), "inference outputs");
    }
}
