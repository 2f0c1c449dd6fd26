using System;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// <see cref="Sgd"/> in PyTorch's form: v = μv + g, θ −= lr · v (θ −= lr · g without momentum).
/// Tolerance 0 in the hand-computed cases: every value there is a short dyadic fraction (lr, μ, θ and g are multiples
/// of small powers of two), so each float32 operation, fused or not, is exact and the results must match bit for bit.
/// </summary>
public class SgdTests
{
    [Fact]
    public void Without_momentum_each_step_subtracts_learning_rate_times_gradient()
    {
        var sgd = new Sgd(learningRate: 0.25f);
        float[] theta = [1f, -2f, 0.5f];
        sgd.Step(theta, [1f, 0.5f, -2f]);
        Assert.Equal([0.75f, -2.125f, 1f], theta);
        sgd.Step(theta, [0.5f, 0.5f, 1f]);
        Assert.Equal([0.625f, -2.25f, 0.75f], theta);
    }

    [Fact]
    public void With_momentum_the_velocity_accumulates_gradients()
    {
        // μ = 0.5, lr = 0.25, by hand:
        // v1 = g1 = [1, 0.5, -2]            θ1 = [1, -2, 0.5] − 0.25·v1 = [0.75, -2.125, 1]
        // v2 = 0.5·v1 + [0.5, 0.5, 1] = [1, 0.75, 0]    θ2 = [0.5, -2.3125, 1]
        // v3 = 0.5·v2 + [-1, 0, 0] = [-0.5, 0.375, 0]   θ3 = [0.625, -2.40625, 1]
        var sgd = new Sgd(learningRate: 0.25f, momentum: 0.5f);
        float[] theta = [1f, -2f, 0.5f];
        sgd.Step(theta, [1f, 0.5f, -2f]);
        Assert.Equal([0.75f, -2.125f, 1f], theta);
        sgd.Step(theta, [0.5f, 0.5f, 1f]);
        Assert.Equal([0.5f, -2.3125f, 1f], theta);
        sgd.Step(theta, [-1f, 0f, 0f]);
        Assert.Equal([0.625f, -2.40625f, 1f], theta);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.5f)]
    public void A_long_vector_takes_the_vectorized_path_to_the_same_exact_values(float momentum)
    {
        // 37 values (vector loop plus tail); θ_i = i/4 − 4, g = (i mod 7 − 3)/8: dyadic again, so exact.
        const int length = 37;
        const float lr = 0.25f;
        var sgd = new Sgd(lr, momentum);
        var theta = new float[length];
        var g = new float[length];
        var expected = new double[length];
        var velocity = new double[length];
        for (int i = 0; i < length; i++)
        {
            theta[i] = i / 4f - 4f;
            g[i] = (i % 7 - 3) / 8f;
            expected[i] = theta[i];
        }
        for (int step = 0; step < 3; step++)
        {
            sgd.Step(theta, g);
            for (int i = 0; i < length; i++)
            {
                velocity[i] = momentum * velocity[i] + g[i];
                expected[i] -= lr * velocity[i];
                Assert.Equal(expected[i], theta[i]);
            }
        }
    }

    [Fact]
    public void Momentum_point_nine_matches_the_double_precision_formula()
    {
        // μ = 0.9 and lr = 0.01 are not dyadic: 1e-6 relative to the values summed (a few float roundings per step).
        const int length = 37;
        var sgd = new Sgd(0.01f, 0.9f);
        var theta = new float[length];
        var expected = new double[length];
        var velocity = new double[length];
        for (int i = 0; i < length; i++) expected[i] = theta[i] = MathF.Sin(i);
        for (int step = 1; step <= 3; step++)
        {
            var g = new float[length];
            for (int i = 0; i < length; i++) g[i] = MathF.Cos(i * step) * 3f;
            sgd.Step(theta, g);
            for (int i = 0; i < length; i++)
            {
                velocity[i] = 0.9f * velocity[i] + g[i]; // the float μ, as the optimizer holds it
                expected[i] -= 0.01f * velocity[i];
                double allowed = 1e-6 * (Math.Abs(expected[i]) + Math.Abs(expected[i] - MathF.Sin(i)));
                Assert.True(Math.Abs(theta[i] - expected[i]) <= allowed, $"step {step}, parameter {i}: {theta[i]} vs {expected[i]}");
            }
        }
    }
}
