using System;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// <see cref="Sgd"/> in PyTorch's form: d = g + λθ, v = μv + d, θ −= lr · v (θ −= lr · d without momentum).
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

    [Fact]
    public void Weight_decay_adds_lambda_theta_to_the_gradient_before_the_momentum()
    {
        // lr = 0.25, λ = 0.5, μ = 0.5, by hand:
        // d1 = g1 + λθ0 = [1, 0.5, -2] + [0.5, -1, 0.25] = [1.5, -0.5, -1.75] = v1     θ1 = θ0 − 0.25·v1 = [0.625, -1.875, 0.9375]
        // d2 = [0.5, 0.5, 1] + λθ1 = [0.8125, -0.4375, 1.46875]; v2 = 0.5·v1 + d2 = [1.5625, -0.6875, 0.59375]
        // θ2 = θ1 − 0.25·v2 = [0.234375, -1.703125, 0.7890625]
        var sgd = new Sgd(learningRate: 0.25f, momentum: 0.5f, weightDecay: 0.5f);
        float[] theta = [1f, -2f, 0.5f];
        sgd.Step(theta, [1f, 0.5f, -2f]);
        Assert.Equal([0.625f, -1.875f, 0.9375f], theta);
        sgd.Step(theta, [0.5f, 0.5f, 1f]);
        Assert.Equal([0.234375f, -1.703125f, 0.7890625f], theta);

        // Without momentum: θ1 = θ0 − 0.25·d1, the same first step; then θ − 0.25·d2.
        var plain = new Sgd(learningRate: 0.25f, weightDecay: 0.5f);
        theta = [1f, -2f, 0.5f];
        plain.Step(theta, [1f, 0.5f, -2f]);
        Assert.Equal([0.625f, -1.875f, 0.9375f], theta);
        plain.Step(theta, [0.5f, 0.5f, 1f]);
        Assert.Equal([0.421875f, -1.765625f, 0.5703125f], theta);
    }

    [Fact]
    public void The_two_parameter_constructor_is_still_there_for_code_compiled_against_it()
        => Assert.NotNull(typeof(Sgd).GetConstructor([typeof(float), typeof(float)]));

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0.5f, 0f)]
    [InlineData(0f, 0.5f)]
    [InlineData(0.5f, 0.25f)]
    public void A_long_vector_takes_the_vectorized_path_to_the_same_exact_values(float momentum, float weightDecay)
    {
        // 37 values (vector loop plus tail); θ_i = i/4 − 4, g = (i mod 7 − 3)/8: dyadic again, so exact.
        const int length = 37;
        const float lr = 0.25f;
        var sgd = new Sgd(lr, momentum, weightDecay);
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
                velocity[i] = momentum * velocity[i] + g[i] + weightDecay * expected[i];
                expected[i] -= lr * velocity[i];
                Assert.Equal(expected[i], theta[i]);
            }
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.01f)]
    [InlineData(3f)]
    public void Momentum_point_nine_matches_the_double_precision_formula(float weightDecay)
    {
        // μ = 0.9 and lr = 0.01 are not dyadic: 1e-6 relative to the values summed (a few float roundings per step).
        // λ = 3 makes the decay as large as the gradient (3·|θ| against 3·|cos|), so dropping it fails by far.
        const int length = 37;
        var sgd = new Sgd(0.01f, 0.9f, weightDecay);
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
                velocity[i] = 0.9f * velocity[i] + g[i] + (double)weightDecay * expected[i]; // the float μ and λ, as the optimizer holds them
                expected[i] -= 0.01f * velocity[i];
                double allowed = 1e-6 * (Math.Abs(expected[i]) + Math.Abs(expected[i] - MathF.Sin(i)));
                Assert.True(Math.Abs(theta[i] - expected[i]) <= allowed, $"step {step}, parameter {i}: {theta[i]} vs {expected[i]}");
            }
        }
    }
}
