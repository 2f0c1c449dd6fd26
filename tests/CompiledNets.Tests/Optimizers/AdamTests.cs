using System;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// <see cref="Adam"/> against Kingma and Ba's Algorithm 1, computed here in double exactly as written (with m̂ and v̂),
/// whereas the implementation folds both bias corrections into the step size.
/// </summary>
public class AdamTests
{
    // 37 parameters: with Vector<float>.Count of 4, 8 or 16, both the vectorized loop and the scalar tail run.
    private const int Length = 37;

    // Tolerance: |θ − θ_ref| ≤ 1e-6 · (|θ_ref| + |θ_ref − θ₀|), i.e. 1e-6 relative to the values summed. Each float32
    // step rounds θ once (6e-8 relative) and the update through ~8 operations (≲ 5e-7 relative); three steps stay below
    // 1e-6. Misplacing ε (inside vs outside the square root), or dropping a bias correction, moves a step by 1% or more.
    private const double Tolerance = 1e-6;

    [Fact]
    public void First_three_steps_match_algorithm_1_with_default_settings()
        => AssertMatchesAlgorithm1(new Adam(learningRate: 0.01f), lr: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f);

    [Fact]
    public void First_three_steps_match_algorithm_1_with_other_settings()
        // Betas far from the defaults and from each other, so swapped or hard-coded betas show; a large ε so its placement shows.
        => AssertMatchesAlgorithm1(new Adam(learningRate: 0.1f, beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f), lr: 0.1f, beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f);

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

    /// <summary>The settings are passed as the floats the optimizer holds (0.9f is not 0.9), then used in double.</summary>
    private static void AssertMatchesAlgorithm1(Adam adam, double lr, double beta1, double beta2, double epsilon)
    {
        float[] parameters = Values(seed: 1, scale: 0.05);
        float[][] gradients = [Gradients(seed: 2), Gradients(seed: 3), Gradients(seed: 4)];

        double[] theta = Array.ConvertAll(parameters, x => (double)x), theta0 = (double[])theta.Clone();
        var m = new double[Length];
        var v = new double[Length];
        for (int t = 1; t <= 3; t++)
        {
            float[] g = gradients[t - 1];
            adam.Step(parameters, g);
            for (int i = 0; i < Length; i++)
            {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat = v[i] / (1 - Math.Pow(beta2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + epsilon);
            }
            Assert.Equal(t, adam.StepCount);
            for (int i = 0; i < Length; i++)
            {
                double allowed = Tolerance * (Math.Abs(theta[i]) + Math.Abs(theta[i] - theta0[i]));
                Assert.True(Math.Abs(parameters[i] - theta[i]) <= allowed,
                    $"step {t}, parameter {i} (gradient {g[i]}): {parameters[i]:G9} vs reference {theta[i]:G9}");
            }
        }
    }

    private static float[] Values(ulong seed, double scale)
    {
        var rng = new SplitMix64(seed);
        var values = new float[Length];
        for (int i = 0; i < Length; i++) values[i] = (float)(scale * (2 * rng.NextDouble() - 1));
        return values;
    }

    /// <summary>Gradients over many magnitudes: 0, tiny (where ε matters), ordinary, and large.</summary>
    private static float[] Gradients(ulong seed)
    {
        float[] g = Values(seed, scale: 1);
        g[0] = 0f;
        g[1] = 1e-6f;
        g[2] = -3e-5f;
        g[3] = 1000f;
        g[Length - 1] = -250f; // in the scalar tail
        return g;
    }
}
