using System;

using static CompiledNets.Tests.Optimizers.OptimizerTestData;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// <see cref="Adam"/> against Kingma and Ba's Algorithm 1, computed here in double exactly as written (with m̂ and v̂),
/// whereas the implementation folds both bias corrections into the step size.
/// </summary>
public class AdamTests
{
    // Tolerance: |θ − θ_ref| ≤ 1e-6 · (|θ_ref| + |θ_ref − θ₀|), i.e. 1e-6 relative to the values summed. Each float32
    // step rounds θ once (6e-8 relative) and the update through ~8 operations (≲ 5e-7 relative); three steps stay below
    // 1e-6. Misplacing ε (inside vs outside the square root), or dropping a bias correction, moves a step by 1% or more.
    internal const double Tolerance = 1e-6;

    [Fact]
    public void First_three_steps_match_algorithm_1_with_default_settings()
    {
        var adam = new Adam(learningRate: 0.01f);
        AssertMatchesAlgorithm1(adam, () => adam.StepCount, lr: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f);
    }

    [Fact]
    public void First_three_steps_match_algorithm_1_with_other_settings()
        // Betas far from the defaults and from each other, so swapped or hard-coded betas show; a large ε so its placement shows.
    {
        var adam = new Adam(learningRate: 0.1f, beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f);
        AssertMatchesAlgorithm1(adam, () => adam.StepCount, lr: 0.1f, beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f);
    }

    [Fact]
    public void A_zero_gradient_from_the_start_leaves_the_parameters_exactly_unchanged()
    {
        var adam = new Adam();
        float[] parameters = [0.5f, -1.25f, 3f];
        adam.Step(parameters, new float[3]);
        adam.Step(parameters, new float[3]);
        Assert.Equal([0.5f, -1.25f, 3f], parameters);
        Assert.Equal(2, adam.StepCount);
    }

    /// <summary>
    /// The settings are passed as the floats the optimizer holds (0.9f is not 0.9), then used in double. With
    /// <paramref name="weightDecay"/> λ, each step first decays θ ← θ − lr·λ·θ (AdamW, as PyTorch documents it).
    /// </summary>
    internal static void AssertMatchesAlgorithm1(IOptimizer adam, Func<long> stepCount, double lr, double beta1, double beta2,
        double epsilon, double weightDecay = 0, int steps = 3, double scale = 0.05)
    {
        float[] parameters = Values(seed: 1, scale);
        double[] theta = Array.ConvertAll(parameters, x => (double)x), theta0 = (double[])theta.Clone();
        var m = new double[Length];
        var v = new double[Length];
        for (int t = 1; t <= steps; t++)
        {
            float[] g = Gradients(seed: (ulong)(1 + t));
            adam.Step(parameters, g);
            for (int i = 0; i < Length; i++)
            {
                theta[i] -= lr * weightDecay * theta[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat = v[i] / (1 - Math.Pow(beta2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + epsilon);
            }
            Assert.Equal(t, stepCount());
            for (int i = 0; i < Length; i++)
            {
                double allowed = Tolerance * (Math.Abs(theta[i]) + Math.Abs(theta[i] - theta0[i]));
                Assert.True(Math.Abs(parameters[i] - theta[i]) <= allowed,
                    $"step {t}, parameter {i} (gradient {g[i]}): {parameters[i]:G9} vs reference {theta[i]:G9}");
            }
        }
    }
}
