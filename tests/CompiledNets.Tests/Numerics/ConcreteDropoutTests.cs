using System;
using System.IO;
using System.Linq;
using CompiledNets.Kernels;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// [ConcreteDropout(initialRate)] (Gal, Hron &amp; Kendall 2017): the learned logit in Parameters, the relaxed drop mask of
/// temperature 0.1 while training, the identity at inference, Gal's two regularizer terms in the loss, and gradients of
/// every parameter (the logit, the weights before the layer, through its input, and the next layer's kernel, which the
/// weight term reads) by finite differences.
/// </summary>
public class ConcreteDropoutTests(ITestOutputHelper output)
{
    private const ulong MaskSeed = 777;

    // The mask is steep in the logit (dz/dlogit = z(1 − z)/0.1): a smaller step than the other noise layers' 1e-2.
    private const float H = 2e-3f;
    private const double AbsoluteTolerance = 5e-4;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_on_the_input_and_after_a_dense_layer_with_the_regularizers_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckClassifier(new ConcreteDropoutNet(maxBatchSize: 3, seed: 21), training, output, H, AbsoluteTolerance);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_after_a_convolution_before_a_convolution_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckRegression(new ConcreteDropoutImageNet(maxBatchSize: 3, seed: 22), training, output, H, AbsoluteTolerance);

    [Fact]
    public void The_logit_starts_at_the_logit_of_the_initial_rate_and_the_rate_reads_back()
    {
        var net = new ConcreteDropoutNet(maxBatchSize: 2, seed: 1);
        ParameterTensor first = net.ParameterTensors.Single(t => t.Name == "concrete1.logit");
        ParameterTensor second = net.ParameterTensors.Single(t => t.Name == "concrete2.logit");
        Assert.Equal(1, first.Length);
        Assert.Equal((float)(Math.Log(0.3) - Math.Log(0.7)), net.Parameters[first.Offset]);
        Assert.Equal((float)(Math.Log(0.4) - Math.Log(0.6)), net.Parameters[second.Offset]);
        Assert.Equal(0.3f, net.Concrete1Rate, 6);
        Assert.Equal(0.4f, net.Concrete2Rate, 6);

        net.Parameters[second.Offset] = 0f;
        Assert.Equal(0.5f, net.Concrete2Rate);
        double[] rates = ConcreteDropoutRates.Of(net);
        Assert.Equal(2, rates.Length);
        Assert.Equal(0.3, rates[0], 6);
        Assert.Equal(0.5, rates[1], 6);
        // The summary shows the rate as it is now, not the declared initial one.
        string summary = net.Summary();
        Assert.Contains("rate 0.5 (learned)", summary);
        Assert.Contains("learned rate, initial 0.4", summary);
        LayerInfo layer = net.Layers.Single(l => l.Name == "concrete2");
        Assert.Equal("ConcreteDropout", layer.Kind);
        Assert.Equal(0.4, layer.DropoutRate, 12);
        Assert.Equal(second, Assert.Single(layer.Parameters));
    }

    [Fact]
    public void Loss_adds_both_regularizer_terms_once_per_batch_as_Gals_code_does()
    {
        const int batch = 3;
        var net = new ConcreteDropoutNet(maxBatchSize: batch, seed: 4);
        var plain = new ConcreteDropoutNet(maxBatchSize: batch, seed: 4);
        float[] x = TestData.Gaussian(batch * ConcreteDropoutNet.InputSize, seed: 5);
        int[] labels = TestData.Labels(batch, ConcreteDropoutNet.OutputSize, seed: 6);
        float[] logits = net.Forward(x, batch, training: false).ToArray();
        double data = CrossEntropy(logits, labels, ConcreteDropoutNet.OutputSize);

        // dense1 reads the first dropout (D = 7), dense2 the second (D = 9).
        double expected = data
            + Regularizer(net, "concrete1.logit", "dense1.weight", 0.05, 0.02, 7)
            + Regularizer(net, "concrete2.logit", "dense2.weight", 0.1, 0.03, 9);
        Assert.Equal(expected, net.Loss(labels), 1e-5 * Math.Abs(expected));
        Assert.True(Math.Abs(expected - data) > 0.01, "the regularizers must weigh something here");

        // Gal's defaults: 1e-6 · Σ W² / (1 − p) + 1e-5 · D · (p log p + (1 − p) log(1 − p)).
        var defaults = new ConcreteDropoutDefaultsNet(maxBatchSize: batch, seed: 4);
        double defaultData = CrossEntropy(defaults.Forward(x, batch, training: false).ToArray(), labels, ConcreteDropoutNet.OutputSize);
        double defaultExpected = defaultData
            + Regularizer(defaults, "concrete1.logit", "dense1.weight", 1e-6, 1e-5, 7)
            + Regularizer(defaults, "concrete2.logit", "dense2.weight", 1e-6, 1e-5, 9);
        Assert.Equal(defaultExpected, defaults.Loss(labels), 1e-6);
        Assert.NotEqual(defaultData, defaultExpected);
        _ = plain;
    }

    /// <summary>Gal's terms in double: wr · Σ W² / (1 − p) + dr · D · (p log p + (1 − p) log(1 − p)).</summary>
    internal static double Regularizer(ICompiledNetwork net, string logit, string kernel, double wr, double dr, int features)
    {
        ParameterTensor l = net.ParameterTensors.Single(t => t.Name == logit), w = net.ParameterTensors.Single(t => t.Name == kernel);
        double p = 1 / (1 + Math.Exp(-net.Parameters[l.Offset]));
        double squares = 0;
        foreach (float v in net.Parameters.Slice(w.Offset, w.Length)) squares += (double)v * v;
        return wr * squares / (1 - p) + dr * features * (p * Math.Log(p) + (1 - p) * Math.Log(1 - p));
    }

    private static double CrossEntropy(float[] logits, int[] labels, int classes)
    {
        double total = 0;
        for (int b = 0; b < labels.Length; b++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[b * classes + c]);
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[b * classes + c] - max);
            total += Math.Log(sum) + max - logits[b * classes + labels[b]];
        }
        return total / labels.Length;
    }

    [Fact]
    public void Training_multiplies_each_unit_by_1_minus_z_over_1_minus_p_and_inference_is_the_identity()
    {
        const int batch = 4, inputs = ConcreteDropoutStatisticsNet.InputSize, outputs = ConcreteDropoutStatisticsNet.OutputSize;
        var net = new ConcreteDropoutStatisticsNet(maxBatchSize: batch, seed: 2);
        float[] x = TestData.Gaussian(batch * inputs, seed: 35);
        float[] Expected(Func<int, float> scale) => ReadOut(net, x, batch, scale);

        float[] trained = net.Forward(x, batch, training: true).ToArray();
        float[] z = net.DropoutMask(0).Slice(0, batch * inputs).ToArray();
        Assert.All(z, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(z, v => v > 0.9f);
        Assert.Contains(z, v => v < 0.1f);
        GaussianDropoutTests.AssertClose(Expected(i => (1 - z[i]) / 0.7f), trained);
        GaussianDropoutTests.AssertClose(Expected(_ => 1f), net.Forward(x, batch, training: false).ToArray());
        var predicted = new float[batch * outputs];
        net.Predict(x, predicted, batch);
        GaussianDropoutTests.AssertClose(Expected(_ => 1f), predicted);
    }

    /// <summary>bias + Σ scale(i) · x[i] · W[i, o] in double, with W and the bias found by name (the logit comes first in Parameters).</summary>
    private static float[] ReadOut(ICompiledNetwork net, float[] x, int batch, Func<int, float> scale)
    {
        int inputs = net.InputSize, outputs = net.OutputSize;
        ParameterTensor w = net.ParameterTensors.Single(t => t.Name == "dense1.weight"), bias = net.ParameterTensors.Single(t => t.Name == "dense1.bias");
        Assert.Equal(1, w.Offset);
        var y = new float[batch * outputs];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = net.Parameters[bias.Offset + o];
                for (int i = 0; i < inputs; i++) sum += (double)scale(b * inputs + i) * x[b * inputs + i] * net.Parameters[w.Offset + i * outputs + o];
                y[b * outputs + o] = (float)sum;
            }
        return y;
    }

    [Fact]
    public void Monte_Carlo_prediction_draws_fresh_relaxed_masks_for_every_sample()
    {
        var net = new ConcreteDropoutNet(maxBatchSize: 2, seed: 3);
        GaussianDropoutTests.AssertFreshNoisePerSample(net, inputSeed: 36);
    }

    /// <summary>
    /// Over 200 training passes of 16 examples × 37 units: z &gt; 0.5 exactly when u &gt; 1 − p (so its share is p, within
    /// 5 binomial standard deviations); the share of z in (0.1, 0.9) and the mean of (1 − z)/(1 − p) (close to, but not
    /// exactly, 1 for the relaxed mask) are what the formula gives for u ~ U(0, 1), integrated numerically; the drops of
    /// neighbouring units and of the same unit in neighbouring examples are uncorrelated (|r| &lt; 5/√n).
    /// </summary>
    [Fact]
    public void The_relaxed_mask_has_the_distribution_of_Gals_formula_independently_across_units_and_examples()
    {
        const int batch = 16, width = ConcreteDropoutStatisticsNet.InputSize, passes = 200;
        const double p = 0.3;
        var net = new ConcreteDropoutStatisticsNet(maxBatchSize: batch, seed: 1);
        net.Reseed(42);
        float[] x = TestData.Gaussian(batch * width, seed: 7);
        var z = new float[passes * batch * width];
        for (int pass = 0; pass < passes; pass++)
        {
            net.Forward(x, batch, training: true);
            net.DropoutMask(0).Slice(0, batch * width).CopyTo(z.AsSpan(pass * batch * width));
        }
        int n = z.Length;
        double dropped = z.Count(v => v > 0.5f) / (double)n;
        double middle = z.Count(v => v > 0.1f && v < 0.9f) / (double)n;
        double keptMean = z.Average(v => (1 - v) / (1 - p));

        // E over u of the same quantities, by the midpoint rule in double on Gal's formula.
        const int points = 1_000_000;
        double expectedMiddle = 0, expectedKept = 0, expectedKeptSquare = 0;
        for (int i = 0; i < points; i++)
        {
            double zi = GalMask(p, (i + 0.5) / points);
            if (zi > 0.1 && zi < 0.9) expectedMiddle++;
            double kept = (1 - zi) / (1 - p);
            expectedKept += kept;
            expectedKeptSquare += kept * kept;
        }
        expectedMiddle /= points;
        expectedKept /= points;
        double keptSd = Math.Sqrt(expectedKeptSquare / points - expectedKept * expectedKept);
        output.WriteLine($"P(z > 0.5) = {dropped:F5} (p = {p}), P(0.1 < z < 0.9) = {middle:F5} (formula {expectedMiddle:F5}), E[(1 − z)/(1 − p)] = {keptMean:F5} (formula {expectedKept:F5})");

        Assert.InRange(dropped, p - 5 * Math.Sqrt(p * (1 - p) / n), p + 5 * Math.Sqrt(p * (1 - p) / n));
        Assert.InRange(middle, expectedMiddle - 5 * Math.Sqrt(expectedMiddle * (1 - expectedMiddle) / n), expectedMiddle + 5 * Math.Sqrt(expectedMiddle * (1 - expectedMiddle) / n));
        Assert.InRange(keptMean, expectedKept - 5 * keptSd / Math.Sqrt(n), expectedKept + 5 * keptSd / Math.Sqrt(n));
        Assert.True(Math.Abs(expectedKept - 1) > 1e-3, $"the relaxed mask's mean is {expectedKept}, not 1: the test expects the formula's value");

        double Correlation(Func<int, int> partner, Func<int, bool> has)
        {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            int count = 0;
            for (int i = 0; i < n; i++)
            {
                if (!has(i)) continue;
                double a = z[i] > 0.5f ? 1 : 0, b = z[partner(i)] > 0.5f ? 1 : 0;
                sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; count++;
            }
            double cov = sab / count - sa / count * (sb / count);
            double r = cov / Math.Sqrt((saa / count - Math.Pow(sa / count, 2)) * (sbb / count - Math.Pow(sb / count, 2)));
            Assert.True(Math.Abs(r) < 5 / Math.Sqrt(count), $"correlation {r} over {count} pairs");
            return r;
        }
        double units = Correlation(i => i + 1, i => i % width != width - 1);
        double examples = Correlation(i => i + width, i => (i / width) % batch != batch - 1);
        output.WriteLine($"correlation of neighbouring units {units:F4}, of neighbouring examples {examples:F4}");
    }

    /// <summary>Gal's relaxed drop mask in double: sigmoid((log(p + ε) − log(1 − p + ε) + log(u + ε) − log(1 − u + ε)) / 0.1).</summary>
    internal static double GalMask(double p, double u)
    {
        const double eps = 1e-7;
        double a = (Math.Log(p + eps) - Math.Log(1 - p + eps) + Math.Log(u + eps) - Math.Log(1 - u + eps)) / 0.1;
        return 1 / (1 + Math.Exp(-a));
    }

    [Fact]
    public void The_masks_after_Reseed_depend_on_the_seed_alone()
    {
        var net = new ConcreteDropoutNet(maxBatchSize: 3, seed: 9);
        float[] x = TestData.Gaussian(3 * ConcreteDropoutNet.InputSize, seed: 8);
        net.Reseed(5);
        float[] first = net.Forward(x, 3, training: true).ToArray();
        net.Forward(x, 3, training: true);
        net.Reseed(5);
        Assert.Equal(first, net.Forward(x, 3, training: true).ToArray());
        net.Reseed(6);
        Assert.NotEqual(first, net.Forward(x, 3, training: true).ToArray());
    }

    /// <summary>A dropout regularizer that outweighs the data pulls p from 0.05 towards 0.5, where the term is least.</summary>
    [Fact]
    public void A_large_dropout_regularizer_pulls_the_rate_towards_one_half()
    {
        var net = new ConcreteDropoutPulledNet(maxBatchSize: 32, seed: 1);
        float rate = Train(net, steps: 300, new Adam(0.02f));
        output.WriteLine($"rate 0.05 -> {rate}");
        Assert.InRange(rate, 0.3f, 0.55f);
    }

    /// <summary>Without regularizers the data term alone moves the rate: less noise fits the training batches better, so p falls.</summary>
    [Fact]
    public void Without_regularizers_the_data_term_lowers_the_rate()
    {
        var net = new ConcreteDropoutDataNet(maxBatchSize: 32, seed: 1);
        float rate = Train(net, steps: 300, new Adam(0.02f));
        output.WriteLine($"rate 0.5 -> {rate}");
        Assert.True(rate < 0.4f, $"rate {rate}");
    }

    /// <summary>Trains on a fixed, learnable task (the class is the largest of the first three inputs); returns the rate.</summary>
    private static float Train<TNet>(TNet net, int steps, IOptimizer optimizer) where TNet : IClassifierNetwork
    {
        const int batch = 32;
        float[] x = TestData.Gaussian(batch * net.InputSize, seed: 11);
        var labels = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int best = 0;
            for (int c = 1; c < 3; c++) if (x[b * net.InputSize + c] > x[b * net.InputSize + best]) best = c;
            labels[b] = best;
        }
        for (int s = 0; s < steps; s++) net.TrainStep(x, labels, optimizer);
        return (float)ConcreteDropoutRates.Of(net)[0];
    }

    [Fact]
    public void TrainStep_reports_the_loss_with_the_regularizers_and_steps_the_logit()
    {
        const int batch = 3;
        var net = new ConcreteDropoutNet(maxBatchSize: batch, seed: 12);
        var copy = new ConcreteDropoutNet(maxBatchSize: batch, seed: 12);
        float[] x = TestData.Gaussian(batch * ConcreteDropoutNet.InputSize, seed: 13);
        int[] labels = TestData.Labels(batch, ConcreteDropoutNet.OutputSize, seed: 14);
        net.Reseed(3);
        copy.Reseed(3);
        copy.Forward(x, batch, training: true);
        float expected = copy.Loss(labels);
        float before = net.Concrete1Rate;
        Assert.Equal(expected, net.TrainStep(x, labels, new Sgd(0.5f)));
        Assert.NotEqual(before, net.Concrete1Rate);
    }
}
