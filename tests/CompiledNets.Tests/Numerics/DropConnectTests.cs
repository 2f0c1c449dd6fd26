using System;
using System.Linq;
using CompiledNets.Kernels;
using CompiledNets.Randomness;
using CompiledNets.Tests.FastKernels;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// [Dense(..., DropConnect = rate)] (Wan et al. 2013): per-example, per-weight masks drawn inside the kernel while training
/// (gradients through the same masks, statistics of the masks, the same result for every thread count), and both inference
/// rules against direct references.
/// </summary>
public class DropConnectTests(ITestOutputHelper output)
{
    [Fact]
    public void Gradients_through_the_masks_of_a_middle_and_an_output_layer_match_finite_differences()
        => GaussianDropoutTests.CheckClassifier(new DropConnectGradientNet(maxBatchSize: 3, seed: 21), training: true, output);

    [Fact]
    public void Gradients_of_a_first_layer_with_dropout_after_it_match_finite_differences()
        => GaussianDropoutTests.CheckClassifier(new DropConnectFirstLayerNet(maxBatchSize: 3, seed: 22), training: true, output);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_of_mean_weight_networks_match_finite_differences(bool training)
        => GaussianDropoutTests.CheckClassifier(new DropConnectMeanWeightTanhNet(maxBatchSize: 3, seed: 23), training, output);

    [Fact]
    public void The_same_seed_gives_the_same_masks_and_another_seed_other_ones()
    {
        var net = new DropConnectGradientNet(maxBatchSize: 4, seed: 1);
        float[] inputs = TestData.Gaussian(4 * DropConnectGradientNet.InputSize, seed: 2);
        float[] Run(ulong seed)
        {
            net.Reseed(seed);
            return net.Forward(inputs, 4, training: true).ToArray();
        }
        float[] first = Run(5), again = Run(5), other = Run(6);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        // And consecutive training passes draw fresh masks.
        net.Reseed(5);
        net.Forward(inputs, 4, training: true);
        Assert.NotEqual(first, net.Forward(inputs, 4, training: true).ToArray());
    }

    /// <summary>The masks of <see cref="DropConnectMaskNet"/> for <paramref name="passes"/> training passes of <paramref name="batch"/> examples: [pass, example, row, column].</summary>
    private static bool[,,,] ReadMasks(int passes, int batch, ulong seed)
    {
        const int Rows = DropConnectMaskNet.InputSize, Columns = DropConnectMaskNet.OutputSize;
        var net = new DropConnectMaskNet(maxBatchSize: batch, seed: 1);
        Span<float> parameters = net.Parameters;
        for (int i = 0; i < Rows; i++)
            parameters.Slice(i * Columns, Columns).Fill(1 << i);
        parameters.Slice(Rows * Columns, Columns).Clear();
        float[] ones = Enumerable.Repeat(1f, batch * Rows).ToArray();
        net.Reseed(seed);
        var masks = new bool[passes, batch, Rows, Columns];
        for (int pass = 0; pass < passes; pass++)
        {
            ReadOnlySpan<float> outputs = net.Forward(ones, batch, training: true);
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < Columns; o++)
                {
                    float value = outputs[b * Columns + o];
                    int bits = (int)value;
                    Assert.True(value == bits && bits >= 0 && bits < 1 << Rows, $"output {value} is not a sum of distinct powers of 2");
                    for (int i = 0; i < Rows; i++)
                        masks[pass, b, i, o] = (bits >> i & 1) != 0;
                }
            }
        }
        return masks;
    }

    [Fact]
    public void Each_weight_is_kept_with_probability_p_for_each_example()
    {
        // p = 0.7. 8 passes × 256 examples = 2048 draws per weight (σ of a share = sqrt(0.21 / 2048) = 0.0101): every one of
        // the 400 weights within 5σ = 0.051 of p, the overall share (819,200 draws, σ = 0.0005) within 0.003.
        const double P = 0.7;
        bool[,,,] masks = ReadMasks(passes: 8, batch: 256, seed: 3);
        int passes = masks.GetLength(0), batch = masks.GetLength(1), rows = masks.GetLength(2), columns = masks.GetLength(3);
        long kept = 0;
        double worst = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int o = 0; o < columns; o++)
            {
                int count = 0;
                for (int pass = 0; pass < passes; pass++)
                    for (int b = 0; b < batch; b++)
                        if (masks[pass, b, i, o]) count++;
                kept += count;
                double share = (double)count / (passes * batch);
                worst = Math.Max(worst, Math.Abs(share - P));
            }
        }
        double overall = (double)kept / (passes * batch * rows * columns);
        output.WriteLine($"overall kept share {overall:F5}, worst per-weight deviation {worst:F4}");
        Assert.InRange(overall, P - 0.003, P + 0.003);
        Assert.True(worst < 0.051, $"a weight's kept share is {worst} from p");
    }

    [Fact]
    public void Masks_are_independent_across_examples_passes_columns_and_rows()
    {
        // Pearson correlations of mask pairs, each over n ≥ 96,000 pairs (σ of r ≈ 1/sqrt(n) ≈ 0.0032): |r| < 0.016 (5σ);
        // and the joint keep frequency of each pair kind within 0.01 of p² = 0.49.
        bool[,,,] m = ReadMasks(passes: 4, batch: 256, seed: 4);
        int passes = m.GetLength(0), batch = m.GetLength(1), rows = m.GetLength(2), columns = m.GetLength(3);
        var kinds = new (string Name, Func<int, int, int, int, (bool, bool)?> Pair)[]
        {
            ("next example", (p, b, i, o) => b + 1 < batch ? (m[p, b, i, o], m[p, b + 1, i, o]) : null),
            ("next pass", (p, b, i, o) => p + 1 < passes ? (m[p, b, i, o], m[p + 1, b, i, o]) : null),
            ("next column", (p, b, i, o) => o + 1 < columns ? (m[p, b, i, o], m[p, b, i, o + 1]) : null),
            ("next row", (p, b, i, o) => i + 1 < rows ? (m[p, b, i, o], m[p, b, i + 1, o]) : null),
            ("column + 16", (p, b, i, o) => o + 16 < columns ? (m[p, b, i, o], m[p, b, i, o + 16]) : null),
        };
        foreach (var (name, pair) in kinds)
        {
            double n = 0, sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
            for (int p = 0; p < passes; p++)
                for (int b = 0; b < batch; b++)
                    for (int i = 0; i < rows; i++)
                        for (int o = 0; o < columns; o++)
                        {
                            if (pair(p, b, i, o) is not var (x, y)) continue;
                            double a = x ? 1 : 0, c = y ? 1 : 0;
                            n++; sx += a; sy += c; sxy += a * c; sxx += a * a; syy += c * c;
                        }
            double r = (sxy / n - sx / n * (sy / n)) / Math.Sqrt((sxx / n - Math.Pow(sx / n, 2)) * (syy / n - Math.Pow(sy / n, 2)));
            output.WriteLine($"{name}: n = {n}, r = {r:F5}, both kept {sxy / n:F4}");
            Assert.True(n >= 96000, $"{name}: only {n} pairs");
            Assert.True(Math.Abs(r) < 0.016, $"{name}: correlation {r}");
            Assert.InRange(sxy / n, 0.49 - 0.01, 0.49 + 0.01);
        }
    }

    [Theory]
    [InlineData(0.6f)] // t = 39322: 15 random words per kept bit
    [InlineData(0.5f)] // t = 32768: one word, the bit itself
    [InlineData(0.25f)] // two words
    [InlineData(0.7f)] // t = 45875 (odd): all 16 words
    [InlineData(3f / 65536)] // t = 3: nearly everything dropped
    public void The_kernel_mask_is_the_documented_function_of_key_example_row_and_column(float keep)
    {
        // One row of the forward kernel against Kept(): input e_i on example b reads row i of the masked weights. 1100 columns:
        // three blocks of 512, the last one partial.
        const int Inputs = 3, Outputs = 1100, Batch = 5;
        const ulong Key = 0xFEEDUL;
        float[] weights = Enumerable.Repeat(1f, Inputs * Outputs).ToArray();
        var bias = new float[Outputs];
        foreach (SimdLevel level in SupportedLevels.All())
        {
            for (int row = 0; row < Inputs; row++)
            {
                var input = new float[Batch * Inputs];
                for (int b = 0; b < Batch; b++) input[b * Inputs + row] = 1f;
                var result = new float[Batch * Outputs];
                DropConnect.Forward(level, result, input, weights, bias, Batch, Inputs, Outputs, Activation.None, keep, Key, threads: 1, weightsFinite: true);
                for (int b = 0; b < Batch; b++)
                    for (int o = 0; o < Outputs; o++)
                        Assert.True(result[b * Outputs + o] == (DropConnect.Kept(Key, b, row, o, Inputs, keep) ? 1f : 0f), $"{level}, p = {keep}: example {b}, row {row}, column {o}");
            }
        }
    }

    [Fact]
    public void Kept_is_the_formula_in_the_docs()
    {
        // The class documentation, written out independently: row seed s = (uint)SplitMix64.Mix(key + (b·inputs + i + 1)·Increment);
        // column c = 512·B + 16·q + l; V's bit 15 − j is bit q of lowbias32(s + (256·B + 16·l + j)·0x9E3779B9); kept iff
        // V >= 2^16 − round(p·2^16).
        static uint LowBias32(uint x)
        {
            x ^= x >> 16; x *= 0x21F0AAADu; x ^= x >> 15; x *= 0x735A2D97u; x ^= x >> 15;
            return x;
        }
        var rng = new CompiledNets.Randomness.SplitMix64(17);
        int mismatches = 0, kept = 0;
        const int Draws = 20000;
        for (int n = 0; n < Draws; n++)
        {
            ulong key = rng.NextUInt64();
            int inputs = 1 + rng.NextInt32(1000), example = rng.NextInt32(300), row = rng.NextInt32(inputs), column = rng.NextInt32(3000);
            float p = new[] { 0.5f, 0.3f, 0.9f, 0.75f }[n % 4];
            uint s = (uint)CompiledNets.Randomness.SplitMix64.Mix(key + ((ulong)example * (ulong)inputs + (ulong)row + 1) * CompiledNets.Randomness.SplitMix64.Increment);
            int block = column / 512, q = column % 512 / 16, l = column % 16;
            uint v = 0;
            for (int j = 0; j < 16; j++)
                v |= (LowBias32(s + (uint)(256 * block + 16 * l + j) * 0x9E3779B9u) >> q & 1u) << (15 - j);
            bool expected = v >= 65536 - (uint)Math.Round(p * 65536.0);
            if (expected != DropConnect.Kept(key, example, row, column, inputs, p)) mismatches++;
            if (expected) kept++;
        }
        Assert.Equal(0, mismatches);
        Assert.InRange(kept, Draws * 0.55, Draws * 0.675); // mean p = 0.6125: not all kept or all dropped
    }

    [Theory]
    [InlineData(7, 33, 45, 0.55f)]
    [InlineData(5, 40, 530, 0.75f)] // two column blocks, the second barely begun
    [InlineData(300, 3, 2100, 0.5f)] // the backward pass's examples in two gathers (256 + 44), its mask words in two chunks
    public void Every_vector_level_gives_the_same_forward_and_backward_up_to_rounding(int Batch, int Inputs, int Outputs, float Keep)
    {
        float[] input = TestData.Gaussian(Batch * Inputs, seed: 1);
        for (int i = 0; i < input.Length; i += 3) input[i] = 0f; // skipped rows
        float[] weights = TestData.Gaussian(Inputs * Outputs, seed: 2, scale: 0.3);
        float[] bias = TestData.Gaussian(Outputs, seed: 3);
        float[] dOutput = TestData.Gaussian(Batch * Outputs, seed: 4);
        (float[] Y, float[] DW, float[] DB, float[] DX) Run(SimdLevel level)
        {
            var y = new float[Batch * Outputs];
            DropConnect.Forward(level, y, input, weights, bias, Batch, Inputs, Outputs, Activation.Tanh, Keep, 99, threads: 1, weightsFinite: null);
            var dw = new float[Inputs * Outputs];
            var db = new float[Outputs];
            var dx = new float[Batch * Inputs];
            DropConnect.Backward(level, dw, db, dx, dOutput, input, weights, Batch, Inputs, Outputs, Keep, 99, masked: true, threads: 1);
            // Without an input gradient (a first layer) the weight gradient takes another loop order: the same sums.
            var dwAlone = new float[Inputs * Outputs];
            DropConnect.Backward(level, dwAlone, new float[Outputs], default, dOutput, input, weights, Batch, Inputs, Outputs, Keep, 99, masked: true, threads: 1);
            Assert.True(dw.AsSpan().SequenceEqual(dwAlone), $"{level}: the weight gradient differs without an input gradient");
            return (y, dw, db, dx);
        }
        var scalar = Run(SimdLevel.Scalar);
        // Against a direct double reference on the scalar masks.
        for (int b = 0; b < Batch; b++)
        {
            for (int o = 0; o < Outputs; o++)
            {
                double z = bias[o];
                for (int i = 0; i < Inputs; i++)
                    if (DropConnect.Kept(99, b, i, o, Inputs, Keep)) z += (double)input[b * Inputs + i] * weights[i * Outputs + o];
                Assert.Equal(Math.Tanh(z), scalar.Y[b * Outputs + o], 5e-6);
            }
            for (int i = 0; i < Inputs; i++)
            {
                double dx = 0;
                for (int o = 0; o < Outputs; o++)
                    if (DropConnect.Kept(99, b, i, o, Inputs, Keep)) dx += (double)weights[i * Outputs + o] * dOutput[b * Outputs + o];
                Assert.Equal(dx, scalar.DX[b * Inputs + i], 5e-5);
            }
        }
        for (int i = 0; i < Inputs; i++)
            for (int o = 0; o < Outputs; o++)
            {
                double dw = 0;
                for (int b = 0; b < Batch; b++)
                    if (DropConnect.Kept(99, b, i, o, Inputs, Keep)) dw += (double)input[b * Inputs + i] * dOutput[b * Outputs + o];
                Assert.Equal(dw, scalar.DW[i * Outputs + o], 5e-5);
            }
        foreach (SimdLevel level in SupportedLevels.All())
        {
            var vector = Run(level);
            foreach (var (a, c) in new[] { (scalar.Y, vector.Y), (scalar.DW, vector.DW), (scalar.DB, vector.DB), (scalar.DX, vector.DX) })
                for (int k = 0; k < a.Length; k++)
                    Assert.True(Math.Abs(a[k] - c[k]) <= 1e-5f * (1 + Math.Abs(a[k])), $"{level}: element {k}: {c[k]} vs scalar {a[k]}");
        }
    }

    [Fact]
    public void One_and_two_threads_give_the_same_outputs_gradients_and_training_run()
    {
        const int Batch = 64;
        float[] inputs = TestData.Uniform(Batch * DropConnectMlpNet.InputSize, seed: 8, 0, 1);
        for (int i = 0; i < inputs.Length; i += 4) inputs[i] = 0f;
        int[] labels = TestData.Labels(Batch, DropConnectMlpNet.OutputSize, seed: 9);
        (float[] Outputs, float[] Gradients, float[] Parameters, float[] Predicted) Run(int threads)
        {
            var net = new DropConnectMlpNet(maxBatchSize: Batch, seed: 10) { Threads = threads };
            net.Reseed(11);
            float[] outputs = net.Forward(inputs, Batch, training: true).ToArray();
            net.Backward(labels);
            float[] gradients = net.Gradients.ToArray();
            var adam = new Adam();
            for (int step = 0; step < 3; step++) net.TrainStep(inputs, labels, adam);
            var predicted = new float[Batch * DropConnectMlpNet.OutputSize];
            net.Predict(inputs, predicted, Batch);
            return (outputs, gradients, net.Parameters.ToArray(), predicted);
        }
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Outputs, two.Outputs);
        Assert.Equal(one.Gradients, two.Gradients);
        Assert.Equal(one.Parameters, two.Parameters);
        Assert.Equal(one.Predicted, two.Predicted);
    }

    [Fact]
    public void Mean_weight_inference_is_activation_of_p_times_the_product_plus_bias()
    {
        const int Batch = 5;
        var net = new DropConnectMeanWeightNet(maxBatchSize: Batch, seed: 12);
        TestData.Gaussian(DropConnectMeanWeightNet.ParameterCount, seed: 13, scale: 0.5).CopyTo(net.Parameters);
        float[] inputs = TestData.Gaussian(Batch * DropConnectMeanWeightNet.InputSize, seed: 14);
        float[] outputs = net.Forward(inputs, Batch, training: false).ToArray();
        float[] parameters = net.Parameters.ToArray();
        const int In = 6, Hidden = 20, Out = 3;
        for (int b = 0; b < Batch; b++)
        {
            var h = new double[Hidden];
            for (int o = 0; o < Hidden; o++)
            {
                double z = 0;
                for (int i = 0; i < In; i++) z += (double)inputs[b * In + i] * parameters[i * Hidden + o];
                h[o] = Math.Max(0, 0.6 * z + parameters[In * Hidden + o]);
            }
            int second = In * Hidden + Hidden;
            for (int o = 0; o < Out; o++)
            {
                double z = 0;
                for (int i = 0; i < Hidden; i++) z += h[i] * parameters[second + i * Out + o];
                double expected = 0.5 * z + parameters[second + Hidden * Out + o];
                Assert.True(Math.Abs(expected - outputs[b * Out + o]) <= 1e-5 * (1 + Math.Abs(expected)), $"example {b} output {o}: {outputs[b * Out + o]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Moment_matching_inference_matches_a_double_precision_Monte_Carlo_of_the_masks(bool relu)
    {
        // Reference: the layer's output averaged over 100,000 draws of DropConnect masks, in double (its own standard error,
        // below 0.004 σ, is printed). Moment matching replaces the masked sum by a Gaussian of the same mean and variance
        // (64 inputs: the central limit theorem is a close approximation) and averages 4096 draws of it; tolerance: 0.04 σ
        // of the pre-activation per unit, plus 1e-3.
        const int Batch = 4, Inputs = 64, Units = 6, Draws = 100_000;
        IRegressionNetwork net = relu ? new DropConnectMomentReLUNet(Batch, seed: 15) : new DropConnectMomentTanhNet(Batch, seed: 15);
        double p = relu ? 0.5 : 0.7;
        float[] parameters = TestData.Gaussian(net.ParameterCount, seed: 16, scale: 0.25);
        parameters.CopyTo(net.Parameters);
        float[] inputs = TestData.Uniform(Batch * Inputs, seed: 17, 0, 1);
        float[] outputs = net.Forward(inputs, Batch, training: false).ToArray();
        var rng = new SplitMix64(18);
        double worst = 0;
        for (int b = 0; b < Batch; b++)
        {
            for (int o = 0; o < Units; o++)
            {
                double bias = parameters[Inputs * Units + o], variance = 0;
                for (int i = 0; i < Inputs; i++)
                    variance += p * (1 - p) * Math.Pow((double)inputs[b * Inputs + i] * parameters[i * Units + o], 2);
                double sum = 0, squares = 0;
                for (int draw = 0; draw < Draws; draw++)
                {
                    double z = bias;
                    for (int i = 0; i < Inputs; i++)
                        if (rng.NextDouble() < p) z += (double)inputs[b * Inputs + i] * parameters[i * Units + o];
                    double y = relu ? Math.Max(0, z) : Math.Tanh(z);
                    sum += y;
                    squares += y * y;
                }
                double reference = sum / Draws, error = Math.Sqrt((squares / Draws - reference * reference) / Draws);
                double sigma = Math.Sqrt(variance), difference = Math.Abs(outputs[b * Units + o] - reference);
                worst = Math.Max(worst, difference / sigma);
                output.WriteLine($"example {b} unit {o}: moment matching {outputs[b * Units + o]:F5}, Monte Carlo {reference:F5} ± {error:F5}, σ {sigma:F4}");
                Assert.True(difference <= 0.04 * sigma + 1e-3, $"example {b} unit {o}: {outputs[b * Units + o]} vs Monte Carlo {reference} (σ {sigma})");
            }
        }
        output.WriteLine($"worst |difference| / σ = {worst:F4}");
    }

    [Fact]
    public void Moment_matching_Predict_is_a_pure_function_of_weights_and_input()
    {
        // Same input: same probabilities twice, alone or at any place in a batch, after training passes and Reseed.
        var net = new DropConnectMlpNet(maxBatchSize: 8, seed: 19);
        float[] inputs = TestData.Uniform(8 * DropConnectMlpNet.InputSize, seed: 20, 0, 1);
        var all = new float[8 * DropConnectMlpNet.OutputSize];
        net.Predict(inputs, all, 8);
        net.Reseed(3);
        net.Forward(inputs, 8, training: true);
        var again = new float[all.Length];
        net.Predict(inputs, again, 8);
        Assert.Equal(all, again);
        var one = new float[DropConnectMlpNet.OutputSize];
        net.Predict(inputs.AsSpan(5 * DropConnectMlpNet.InputSize, DropConnectMlpNet.InputSize), one, 1);
        Assert.Equal(all.AsSpan(5 * DropConnectMlpNet.OutputSize, DropConnectMlpNet.OutputSize).ToArray(), one);
    }

    [Fact]
    public void PredictSamples_draws_training_masks_around_the_inference_prediction()
    {
        const int Batch = 4;
        var net = new DropConnectMlpNet(maxBatchSize: Batch, seed: 21);
        float[] inputs = TestData.Uniform(Batch * DropConnectMlpNet.InputSize, seed: 22, 0, 1);
        var mean = new float[Batch * DropConnectMlpNet.OutputSize];
        var stdDev = new float[mean.Length];
        net.PredictSamples(inputs, 400, mean, stdDev, Batch);
        var predicted = new float[mean.Length];
        net.Predict(inputs, predicted, Batch);
        Assert.All(stdDev, s => Assert.True(s > 0, "a Monte Carlo sample did not vary"));
        // The Monte Carlo mean of the probabilities and the moment-matched prediction are close (not equal: the softmax is
        // not linear and moment matching is an approximation); 400 samples.
        for (int k = 0; k < mean.Length; k++)
            Assert.True(Math.Abs(mean[k] - predicted[k]) < 0.05, $"probability {k}: Monte Carlo mean {mean[k]}, Predict {predicted[k]}");
    }

    [Fact]
    public void Layers_and_Summary_describe_DropConnect()
    {
        var net = new DropConnectGradientNet();
        LayerInfo dense2 = net.Layers.Single(l => l.Name == "dense2");
        Assert.Equal(0.5, dense2.DropConnectRate);
        Assert.Equal(DropConnectInference.MomentMatching, dense2.DropConnectInference);
        Assert.Equal(DropConnect.DefaultSamples, dense2.DropConnectSamples);
        Assert.Equal("DropConnect 0.5 (keep p = 0.5), moment-matching inference with 64 samples", dense2.Details);
        Assert.Equal(0, net.Layers.Single(l => l.Name == "dense1").DropConnectRate);
        LayerInfo meanWeight = new DropConnectMeanWeightNet().Layers[0];
        Assert.Equal(DropConnectInference.MeanWeight, meanWeight.DropConnectInference);
        Assert.Equal("DropConnect 0.4 (keep p = 0.6), mean-weight inference", meanWeight.Details);
        string summary = net.Summary();
        output.WriteLine(summary);
        Assert.Contains("DropConnect 0.5 (keep p = 0.5), moment-matching inference with 64 samples", summary);
        Assert.Contains("DropConnect 0.25", summary);
    }

    [Fact]
    public void The_normals_come_in_antithetic_pairs_from_a_fixed_stream()
    {
        float[] normals = DropConnect.CreateNormals(6, 5, seed: 2);
        Assert.Equal(normals, DropConnect.CreateNormals(6, 5, seed: 2));
        Assert.NotEqual(normals, DropConnect.CreateNormals(6, 5, seed: 3));
        for (int s = 0; s < 6; s += 2)
            for (int o = 0; o < 5; o++)
                Assert.Equal(-normals[s * 5 + o], normals[(s + 1) * 5 + o]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)] // shorter than a vector: the scalar tail only
    [InlineData(45, 1)] // the forward gather's runs of rows: vectors and a tail
    [InlineData(300, 784)] // the backward gather's examples of one row: flat indices a row apart
    public unsafe void Vector_row_seeds_are_RowSeed(int count, int inputs)
    {
        // Every vector width this machine has, and the scalar tail, against the one-at-a-time definition.
        const ulong Key = 0xC0FFEE1234UL;
        var seeds = new uint[count];
        foreach (int row in new[] { 0, inputs - 1 })
        {
            fixed (uint* s = seeds) DropConnect.RowSeeds(Key, row, inputs, count, s);
            for (int j = 0; j < count; j++)
            {
                // With step = inputs the flat index first + j·step is example j, row `row`; with step 1 (inputs 1) row 0 of example row + j.
                Assert.Equal(DropConnect.RowSeed(Key, j + (inputs == 1 ? row : 0), inputs == 1 ? 0 : row, inputs), seeds[j]);
            }
        }
    }

    [Fact]
    public void Bad_kernel_arguments_throw()
    {
        var y = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => DropConnect.Forward(y, new float[2], new float[4], new float[2], 2, 1, 2, Activation.None, 0f, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropConnect.Forward(y, new float[2], new float[4], new float[2], 2, 1, 2, Activation.None, 1.5f, 1));
        Assert.Throws<ArgumentException>(() => DropConnect.Forward(y, new float[1], new float[4], new float[2], 2, 1, 2, Activation.None, 0.5f, 1));
    }
}
