using System;
using System.Runtime.Intrinsics;
using CompiledNets.Kernels;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>Activation.SELU: the function and its derivative against double references, at every vector level, and in networks.</summary>
public class SeluTests(ITestOutputHelper output)
{
    private const double Lambda = 1.0507009873554805, Alpha = 1.6732632423543772;

    // SELU's derivative jumps at 0 (λ to λα): a step that moves a pre-activation across 0 breaks the central
    // difference. h = 1e-3 makes that rare (checked at these seeds); float32 loss noise / 2h ≈ 2.5e-4, hence 1e-3.
    private const float H = 1e-3f;
    private const double AbsoluteTolerance = 1e-3, RelativeTolerance = 5e-3;

    private static double Selu(double x) => x > 0 ? Lambda * x : Lambda * Alpha * ExpM1(x);

    /// <summary>eˣ − 1 without the cancellation of <c>Math.Exp(x) − 1</c> near 0 (the series, exact in double there).</summary>
    private static double ExpM1(double x) => Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;

    private static double SeluDerivative(double x) => x > 0 ? Lambda : Lambda * Alpha * Math.Exp(x);

    [Fact]
    public void The_function_matches_its_definition_on_both_sides_of_zero()
    {
        float[] x = TestData.Gaussian(1001, seed: 50, scale: 3); // odd length: vector bodies and a tail
        x[0] = 0f;
        x[1] = -30f; // saturates at −λα
        float[] y = (float[])x.Clone();
        Activations.SELU(y);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - Selu(x[i])) <= 1e-6 + 1e-6 * Math.Abs(Selu(x[i])), $"SELU({x[i]}) = {y[i]}, expected {Selu(x[i])}");
        Assert.Equal(-Lambda * Alpha, y[1], 1e-6);
    }

    [Fact]
    public void Positive_inputs_give_lambda_x_rounded_once_and_small_negative_ones_keep_their_digits()
    {
        // The vector exp is 1 + 2⁻²³ at 0: taken as it is, eˣ − 1 added ~2e-7 to every positive output and gave 0 for
        // tiny negative inputs. Now x ≥ 0 gives exactly (float)(λ·x) and a negative x its value to a few ulps of itself.
        float[] x = [0f, 1e-30f, 3e-8f, 1e-7f, 1.8661376e-7f, 1e-3f, 0.5f, 1f, 7f, 1e4f, -1e-30f, -3e-8f, -1e-7f, -1e-5f, -1e-3f, -0.004f, -0.01f, -0.1f, -0.124f, -0.126f, -0.2f, -0.3f, -1f, -5f];
        float[] y = (float[])x.Clone();
        Activations.SELU(y);
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] >= 0)
                Assert.True(y[i] == Activations.SeluLambda * x[i], $"SELU({x[i]:R}) = {y[i]:R}, expected λ·x = {Activations.SeluLambda * x[i]:R}");
            else
            {
                // Within 16 ulps of the value itself (the worst is just past the series, where exp(t) − 1 loses digits).
                double expected = Selu(x[i]);
                Assert.True(Math.Abs(y[i] - expected) <= 16 * Math.Pow(2, -24) * Math.Abs(expected), $"SELU({x[i]:R}) = {y[i]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void The_backward_multiplies_by_the_derivative_taken_from_the_output()
    {
        float[] x = TestData.Gaussian(1001, seed: 51, scale: 3);
        float[] y = (float[])x.Clone();
        Activations.SELU(y);
        float[] d = TestData.Gaussian(x.Length, seed: 52);
        float[] backward = (float[])d.Clone();
        Activations.SELUBackward(backward, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = d[i] * SeluDerivative(x[i]);
            Assert.True(Math.Abs(backward[i] - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"at x = {x[i]}: {backward[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(FastKernels.GemmKernelTests.Levels), MemberType = typeof(FastKernels.GemmKernelTests))]
    public void The_vector_derivative_is_the_scalar_one_at_every_level(int level)
    {
        float[] y = [-1.7f, -1f, -0.25f, -1e-7f, 0f, 1e-7f, 0.5f, 3f, -1.758f, 2f, -0.5f, 0.1f, -0.1f, 7f, -3f, 1f];
        float[] lanes = new float[16];
        switch ((SimdLevel)level)
        {
            case SimdLevel.Vector128:
                for (int v = 0; v < 16; v += 4)
                    Activations.SeluDerivative<Vector128<float>, Simd128>(Vector128.Create(y, v)).CopyTo(lanes, v);
                break;
            case SimdLevel.Vector256:
                for (int v = 0; v < 16; v += 8)
                    Activations.SeluDerivative<Vector256<float>, Simd256>(Vector256.Create(y, v)).CopyTo(lanes, v);
                break;
            case SimdLevel.Vector512:
                Activations.SeluDerivative<Vector512<float>, Simd512>(Vector512.Create(y)).CopyTo(lanes);
                break;
            default:
                for (int i = 0; i < 16; i++) lanes[i] = Activations.SeluDerivative(y[i]);
                break;
        }
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(Activations.SeluDerivative(y[i]), lanes[i]);
            Assert.Equal(y[i] > 0 ? (float)Lambda : y[i] + (float)(Lambda * Alpha), lanes[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_through_dense_layers_match_finite_differences(bool training)
    {
        var net = new SeluNet(maxBatchSize: 3, seed: 25);
        float[] inputs = TestData.Gaussian(3 * SeluNet.InputSize, seed: 53);
        int[] labels = TestData.Labels(3, SeluNet.OutputSize, seed: 54);
        float Loss()
        {
            net.Forward(inputs, 3, training);
            return net.Loss(labels);
        }
        Loss();
        net.Backward(labels);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), H, AbsoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void Gradients_through_convolutions_match_finite_differences()
    {
        var net = new SeluImageNet(maxBatchSize: 3, seed: 26);
        float[] inputs = TestData.Gaussian(3 * SeluImageNet.InputSize, seed: 55);
        float[] targets = TestData.Gaussian(3 * SeluImageNet.OutputSize, seed: 56);
        float Loss()
        {
            net.Forward(inputs, 3, training: true);
            return net.Loss(targets);
        }
        Loss();
        net.Backward(targets);
        FiniteDifference.AssertMatches(net, Loss, net.Gradients.ToArray(), H, AbsoluteTolerance, RelativeTolerance, output);
    }

    [Fact]
    public void The_network_reports_SELU_in_its_layers_and_summary()
    {
        var net = new SeluNet(maxBatchSize: 1, seed: 1);
        Assert.Equal(Activation.SELU, net.Layers[0].Activation);
        Assert.Contains("SELU", net.Summary(), StringComparison.Ordinal);
    }
}
