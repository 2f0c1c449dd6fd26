using System;
using System.Globalization;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// With a ReLU between dropouts, inference (masks replaced by their expectation) is no longer the mean of the training
/// outputs: the documented gap, derived below, bounds the difference, and the Monte Carlo mean of training forwards must
/// fall inside it (<see cref="ReLUGapNet"/>, <see cref="ReLUGapInvertedNet"/>: x → Dropout(0.2) → Dense(24, ReLU) →
/// Dropout(0.3) → Dense(3)).
/// </summary>
/// <remarks>
/// Training: z = W1ᵀ(s₁ m₁ ⊙ x) + b1, h = relu(z), y = W2ᵀ(s₂ m₂ ⊙ h) + b2, masks m ~ Bernoulli(p) independent, with
/// s = 1 (at-inference rule) or 1/p (inverted). Inference replaces each s·m by its mean c = s·p (p, or 1): z̄ = E[z], and
/// ȳ = W2ᵀ(c₂ relu(z̄)) + b2. Since m₂ is independent of h, E[y_k] − ȳ_k = c₂ Σ_j W2_jk (E[relu(z_j)] − relu(E[z_j])).
/// relu(z) = (z + |z|)/2, so δ_j = E[relu(z_j)] − relu(E z_j) = (E|z_j| − |μ_j|)/2 with μ_j = E z_j = z̄_j; it is ≥ 0
/// (Jensen), and E|z| ≤ √(E z²) = √(μ² + σ²) (Cauchy–Schwarz) gives δ_j ≤ g_j = (√(μ_j² + σ_j²) − |μ_j|)/2 ≤ σ_j/2, where
/// σ_j² = Var(z_j) = p₁(1 − p₁) s₁² Σ_i W1_ij² x_i². (ReLU is 1-Lipschitz, so E|z − μ| ≤ σ bounds it too; g_j is tighter
/// for a unit that is rarely switched by the masks, |μ_j| ≫ σ_j, where g_j ≈ σ_j²/(4|μ_j|).) Hence
/// <code>c₂ Σ_j min(0, W2_jk) g_j ≤ E[y_k] − ȳ_k ≤ c₂ Σ_j max(0, W2_jk) g_j,  so |E[y_k] − ȳ_k| ≤ c₂ Σ_j |W2_jk| g_j ≤ ½ c₂ Σ_j |W2_jk| σ_j.</code>
/// </remarks>
public class ReLUInferenceGapTests(ITestOutputHelper output)
{
    private const int In = 6, Hidden = 24, Out = 3;
    private const int B1 = In * Hidden, W2 = B1 + Hidden, B2 = W2 + Hidden * Out;
    private const double InputKeep = 0.8, HiddenKeep = 0.7;
    private const int Batch = 125, Forwards = 160, Samples = Batch * Forwards; // N = 20,000 mask draws

    // Monte Carlo tolerance: the mean of N samples is within 5 s/√N of E[y] (s the sample standard deviation) except with
    // probability ~6e-7 (CLT); fixed seeds make the test deterministic. Plus 1e-5 for float32 rounding of y (sums of ~30
    // products of O(1) values) and of the inference output.
    private const double Sigmas = 5, FloatSlack = 1e-5;

    private static readonly float[] s_example = [0.8f, -1.3f, 0.45f, 2.1f, -0.6f, 1.1f];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_mean_of_training_outputs_is_within_the_documented_gap_of_the_inference_output(bool inverted)
    {
        ICompiledNetwork net = inverted ? new ReLUGapInvertedNet(maxBatchSize: Batch, seed: 9) : new ReLUGapNet(maxBatchSize: Batch, seed: 9);
        ReadOnlySpan<float> w = net.Parameters;
        double s1 = inverted ? 1 / InputKeep : 1, c1 = inverted ? 1 : InputKeep, c2 = inverted ? 1 : HiddenKeep;

        // The derived interval for E[y] − ȳ, from the parameters alone.
        var g = new double[Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            double mean = w[B1 + j], variance = 0;
            for (int i = 0; i < In; i++)
            {
                mean += c1 * s_example[i] * w[i * Hidden + j];
                variance += Math.Pow(w[i * Hidden + j] * s_example[i] * s1, 2) * InputKeep * (1 - InputKeep);
            }
            g[j] = (Math.Sqrt(mean * mean + variance) - Math.Abs(mean)) / 2;
            Assert.True(g[j] <= Math.Sqrt(variance) / 2 + 1e-12);
        }
        var lower = new double[Out];
        var upper = new double[Out];
        for (int k = 0; k < Out; k++)
        {
            for (int j = 0; j < Hidden; j++)
            {
                double term = c2 * w[W2 + j * Out + k] * g[j];
                if (term < 0) lower[k] += term; else upper[k] += term;
            }
        }

        // Inference output, checked against a scalar evaluation with the inference factors c₁, c₂.
        float[] inference = net.Forward(s_example, 1, training: false).ToArray();
        double[] expected = Evaluate(w, c1, c2);
        for (int k = 0; k < Out; k++)
            Assert.True(Math.Abs(inference[k] - expected[k]) <= FloatSlack * (1 + Math.Abs(expected[k])), $"inference output {k}: {inference[k]} vs {expected[k]}");

        // Monte Carlo mean and standard deviation of the training outputs.
        var inputs = new float[Batch * In];
        for (int b = 0; b < Batch; b++) s_example.CopyTo(inputs, b * In);
        var sum = new double[Out];
        var squares = new double[Out];
        net.Reseed(77);
        for (int f = 0; f < Forwards; f++)
        {
            ReadOnlySpan<float> y = net.Forward(inputs, Batch, training: true);
            for (int i = 0; i < y.Length; i++)
            {
                sum[i % Out] += y[i];
                squares[i % Out] += (double)y[i] * y[i];
            }
        }

        bool gapSeen = false;
        double mistakeSeparation = 0;
        double[] mistaken = inverted ? Evaluate(w, InputKeep, HiddenKeep) : Evaluate(w, 1, 1); // scaling applied twice, or forgotten
        for (int k = 0; k < Out; k++)
        {
            double mean = sum[k] / Samples;
            double std = Math.Sqrt((squares[k] - Samples * mean * mean) / (Samples - 1));
            double tolerance = Sigmas * std / Math.Sqrt(Samples) + FloatSlack;
            double gap = mean - inference[k];
            double bound = Math.Max(-lower[k], upper[k]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"output {k}: training mean {mean:F5} ± {tolerance:F5}, inference {inference[k]:F5}, gap {gap:F5} in [{lower[k]:F5}, {upper[k]:F5}] (|gap| ≤ {bound:F5}), mistaken inference {mistaken[k]:F5}"));

            Assert.True(gap >= lower[k] - tolerance && gap <= upper[k] + tolerance, string.Create(CultureInfo.InvariantCulture,
                $"output {k}: E[y] − ȳ ≈ {gap:F5} ± {tolerance:F5} lies outside the derived interval [{lower[k]:F5}, {upper[k]:F5}]"));
            Assert.True(Math.Abs(gap) <= bound + tolerance);
            gapSeen |= Math.Abs(gap) > tolerance;
            // Where a wrongly scaled inference would land relative to the allowed region [mean − upper, mean − lower] ± tolerance.
            double allowedLow = mean - upper[k] - tolerance, allowedHigh = mean - lower[k] + tolerance;
            mistakeSeparation = Math.Max(mistakeSeparation, Math.Max(allowedLow - mistaken[k], mistaken[k] - allowedHigh) / tolerance);
        }
        // Not vacuous: the ReLU gap is really there (the inference output is not the training mean, unlike a linear net) …
        Assert.True(gapSeen, "The inference output equals the training mean within sampling error: this net shows no ReLU gap.");
        // … and the interval is narrow enough that an inference pass with the other scaling rule's factors would fail.
        Assert.True(mistakeSeparation > 3, $"A wrongly scaled inference is only {mistakeSeparation:F1} tolerances outside the allowed region.");
    }

    /// <summary>ȳ = W2ᵀ(c₂ relu(W1ᵀ(c₁ x) + b1)) + b2 in double, from the flat parameters.</summary>
    private static double[] Evaluate(ReadOnlySpan<float> w, double c1, double c2)
    {
        var y = new double[Out];
        for (int k = 0; k < Out; k++) y[k] = w[B2 + k];
        for (int j = 0; j < Hidden; j++)
        {
            double z = w[B1 + j];
            for (int i = 0; i < In; i++) z += c1 * s_example[i] * w[i * Hidden + j];
            double h = c2 * Math.Max(0, z);
            for (int k = 0; k < Out; k++) y[k] += h * w[W2 + j * Out + k];
        }
        return y;
    }
}
