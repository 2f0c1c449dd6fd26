using System;
using System.Collections.Generic;
using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// <see cref="Conv2D"/> against a direct convolution in double, written as the definition reads, at every vector level
/// this machine runs: strides 1 to 3, Valid and Same padding (and uneven or partial padding), odd sizes, 1 to 4 channels,
/// 1 to 5 filters, batches of 1, 3 and 5, every activation, the LeNet shapes and a larger CNN's; both methods (on the
/// input's grid and through patch matrices); non-finite values; a central-difference check of both gradients against
/// the forward pass; bit-identical results with one and two threads; and the argument checks.
/// </summary>
public class Conv2DKernelTests
{
    // Each output sums at most a few thousand float products (C·k·k per position for the forward pass and the input
    // gradient, batch·OH·OW for the weight gradient) with fused multiply-adds in vector lanes: its rounding error is far
    // below 2e-5 of Σ|terms|, while a wrong, missing or doubled term (|x|, |w| ≥ 1e-3 but for exact zeros) moves it by
    // much more. Tanh and Sigmoid add their own few ulps (TensorPrimitives), covered by 1e-6.
    private const double Relative = 2e-5;
    private const double Absolute = 1e-6;

    public static TheoryData<string> Geometries()
    {
        var data = new TheoryData<string>();
        foreach ((string name, _, _) in Cases()) data.Add(name);
        return data;
    }

    /// <summary>Every geometry tested, by name, with the batch it runs.</summary>
    private static IEnumerable<(string Name, Conv2DGeometry Geometry, int Batch)> Cases()
    {
        yield return ("LeNet conv1", Conv2DGeometry.Valid(1, 28, 28, 6, 5), 2);
        yield return ("LeNet conv2", Conv2DGeometry.Valid(6, 12, 12, 16, 5), 3);
        yield return ("CNN conv1 same", Conv2DGeometry.Same(1, 28, 28, 16, 3), 2);
        yield return ("CNN conv2 same", Conv2DGeometry.Same(16, 14, 14, 32, 3), 1);
        int[] batches = [1, 3, 5];
        int n = 0;
        foreach (int stride in new[] { 1, 2, 3 })
            foreach (int k in new[] { 1, 2, 3, 5 })
                foreach ((int h, int w) in new[] { (7, 5), (5, 7), (6, 6) })
                {
                    int channels = 1 + n % 4, filters = 1 + (n * 3) % 5, batch = batches[n % 3];
                    n++;
                    if (h >= k && w >= k)
                        yield return ($"valid {channels}x{h}x{w} k{k} s{stride} F{filters} b{batch}", Conv2DGeometry.Valid(channels, h, w, filters, k, stride), batch);
                    yield return ($"same {channels}x{h}x{w} k{k} s{stride} F{filters} b{batch}", Conv2DGeometry.Same(channels, h, w, filters, k, stride), batch);
                }
        // Uneven padding, an output smaller than the input allows (rows and columns left unread), a 1-wide input.
        yield return ("pad 2/0 k3", new Conv2DGeometry(2, 7, 5, 3, 3, 1, 2, 0, 7, 3), 3);
        yield return ("pad 0/2 k3 s2", new Conv2DGeometry(3, 5, 7, 2, 3, 2, 0, 2, 2, 4), 2);
        yield return ("cropped k3", new Conv2DGeometry(2, 7, 6, 4, 3, 1, 0, 0, 3, 2), 3);
        yield return ("cropped k1", new Conv2DGeometry(3, 4, 5, 2, 1, 1, 0, 0, 2, 5), 2);
        yield return ("pointwise", Conv2DGeometry.Valid(4, 5, 7, 3, 1), 3);
        yield return ("column k3 same", Conv2DGeometry.Same(2, 9, 1, 3, 3), 2);
        yield return ("k7 same 3x3", Conv2DGeometry.Same(2, 3, 3, 5, 7), 2);
        // Filters that fill whole vectors (the forward pass then has them in the lanes) at some or all widths, with rows
        // of outputs that are and are not whole tiles, padded and not.
        yield return ("lanes F16 same 7x5", Conv2DGeometry.Same(4, 7, 5, 16, 3), 2);
        yield return ("lanes F32 valid 6x13", Conv2DGeometry.Valid(4, 6, 13, 32, 3), 2);
        yield return ("lanes F48 same 5x9 k3", Conv2DGeometry.Same(4, 5, 9, 48, 3), 1);
        yield return ("lanes F8 valid 9x7 k4", Conv2DGeometry.Valid(2, 9, 7, 8, 4), 3);
        yield return ("lanes F4 pad 1/2 k4", new Conv2DGeometry(2, 6, 6, 4, 4, 1, 1, 2, 5, 7), 2);
        // Large kernels: kernel rows of 7, 8 and 9 weights, split into tiles of up to 8 (6 where two vectors share them).
        yield return ("lanes F16 same k8", Conv2DGeometry.Same(1, 9, 10, 16, 8), 1);
        yield return ("lanes F16 same k7", Conv2DGeometry.Same(1, 8, 9, 16, 7), 2);
        yield return ("lanes F16 valid k9", Conv2DGeometry.Valid(1, 12, 11, 16, 9), 2);
        yield return ("lanes F64 valid k4", Conv2DGeometry.Valid(2, 6, 7, 64, 4), 2);
        // Rows of outputs close to whole vectors, where the forward pass goes by output rows: splits of the filters and
        // of the rows' vectors into tiles, a partial last vector (through a mask), padding and an unpadded input read in place.
        yield return ("rows F3 valid 10x18 k3", Conv2DGeometry.Valid(2, 10, 18, 3, 3), 2);
        yield return ("rows F7 valid 12x36 k5", Conv2DGeometry.Valid(2, 12, 36, 7, 5), 2);
        yield return ("rows F2 valid 11x26 k7", Conv2DGeometry.Valid(1, 11, 26, 2, 7), 3);
        yield return ("rows F5 same 6x26 k9", Conv2DGeometry.Same(1, 6, 26, 5, 9), 2);
        // Random shapes: every legal output size, padding and stride up to 3.
        var rng = new SplitMix64(77);
        for (int i = 0; i < 24; i++)
        {
            int k = 1 + rng.NextInt32(5), stride = 1 + rng.NextInt32(3);
            int h = 1 + rng.NextInt32(9), w = 1 + rng.NextInt32(9);
            int pt = rng.NextInt32(k), pl = rng.NextInt32(k);
            int maxH = (h - 1 + pt) / stride + 1, maxW = (w - 1 + pl) / stride + 1;
            var g = new Conv2DGeometry(1 + rng.NextInt32(4), h, w, 1 + rng.NextInt32(5), k, stride, pt, pl,
                1 + rng.NextInt32(maxH), 1 + rng.NextInt32(maxW));
            yield return ($"random {i}: {g}", g, 1 + rng.NextInt32(4));
        }
    }

    private static (Conv2DGeometry Geometry, int Batch) Case(string name)
    {
        foreach ((string n, Conv2DGeometry g, int b) in Cases())
            if (n == name) return (g, b);
        throw new ArgumentException(name);
    }

    /// <summary>The vector levels this machine runs (the others are reached by CI's reruns with the knobs off).</summary>
    private static IEnumerable<SimdLevel> Levels() => SupportedLevels.All();

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Forward_matches_the_direct_convolution_for_every_activation(string name)
    {
        (Conv2DGeometry g, int batch) = Case(name);
        (float[] x, float[] w, float[] bias, _) = Operands(g, batch, Seed(name), inputZeros: 0.3, gradientZeros: 0);
        (double[] z, double[] magnitude) = Reference.Forward(x, w, bias, batch, g);
        foreach (SimdLevel level in Levels())
            foreach (Activation activation in new[] { Activation.None, Activation.ReLU, Activation.Tanh, Activation.Sigmoid, Activation.SELU })
            {
                float[] y = Filled(batch * g.OutputSize + 3, float.NaN);
                Conv2D.Forward(level, y, x, w, bias, batch, g, activation, threads: 1);
                for (int i = 0; i < z.Length; i++)
                    AssertClose(Reference.Activate(activation, z[i]), y[i], magnitude[i], $"{level} {activation} output {i}");
                for (int i = z.Length; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), "written past the output");
            }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardMaxPool_gives_the_bits_of_Forward_then_MaxPool2D(string name)
    {
        (Conv2DGeometry g, int batch) = Case(name);
        (float[] x, float[] w, float[] bias, _) = Operands(g, batch, Seed(name), inputZeros: 0.3, gradientZeros: 0);
        // ReLU makes ties of zeros; a NaN input and an infinite one make NaN and infinite outputs in some windows.
        x[x.Length / 3] = float.NaN;
        x[x.Length / 2] = float.PositiveInfinity;
        foreach ((int size, int stride) in new[] { (2, 2), (3, 2), (2, 1), (1, 1), (3, 3) })
        {
            if (size > g.OutHeight || size > g.OutWidth) continue;
            int oh = (g.OutHeight - size) / stride + 1, ow = (g.OutWidth - size) / stride + 1, pooledSize = g.Filters * oh * ow;
            foreach (SimdLevel level in Levels())
                foreach (Activation activation in new[] { Activation.None, Activation.ReLU, Activation.Tanh })
                {
                    float[] y = new float[batch * g.OutputSize], expected = new float[batch * pooledSize];
                    Conv2D.Forward(level, y, x, w, bias, batch, g, activation, threads: 1);
                    MaxPool2D.Forward(level, expected, new int[expected.Length], y, batch, g.Filters, g.OutHeight, g.OutWidth, size, stride, oh, ow);
                    float[] pooled = Filled(batch * pooledSize + 3, -7f);
                    Conv2D.ForwardMaxPool(level, pooled, x, w, bias, batch, g, activation, size, stride, threads: 1);
                    Assert.True(Bits(expected).AsSpan().SequenceEqual(Bits(pooled[..expected.Length])), $"{level} {activation} pool {size}/{stride}");
                    Assert.All(pooled[expected.Length..], v => Assert.Equal(-7f, v));
                }
        }
    }

    [Fact]
    public void ForwardMaxPool_with_two_threads_and_bad_arguments()
    {
        var g = Conv2DGeometry.Valid(1, 28, 28, 6, 5);
        const int batch = 64;
        (float[] x, float[] w, float[] bias, _) = Operands(g, batch, 9, inputZeros: 0.3, gradientZeros: 0);
        float[] one = new float[batch * 6 * 12 * 12], two = new float[one.Length];
        Conv2D.ForwardMaxPool(one, x, w, bias, batch, g, Activation.ReLU, 2, 2, threads: 1);
        Conv2D.ForwardMaxPool(two, x, w, bias, batch, g, Activation.ReLU, 2, 2, threads: 2);
        Assert.Equal(Bits(one), Bits(two));
        Assert.Equal("pooled", Assert.Throws<ArgumentException>(() => Conv2D.ForwardMaxPool(new float[one.Length - 1], x, w, bias, batch, g, Activation.ReLU, 2, 2)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => Conv2D.ForwardMaxPool(one, x.AsSpan(1), w, bias, batch, g, Activation.ReLU, 2, 2)).ParamName);
        Assert.Equal("poolSize", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.ForwardMaxPool(one, x, w, bias, batch, g, Activation.ReLU, 25, 2)).ParamName);
        Assert.Equal("poolStride", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.ForwardMaxPool(one, x, w, bias, batch, g, Activation.ReLU, 2, 0)).ParamName);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Both_gradients_match_the_direct_convolution(string name)
    {
        (Conv2DGeometry g, int batch) = Case(name);
        // Output gradients with zeros, as after ReLU and max pooling (the patch path skips positions zero for every filter).
        (float[] x, float[] w, _, float[] dy) = Operands(g, batch, Seed(name) + 1, inputZeros: 0.3, gradientZeros: 0.6);
        (double[] dw, double[] dwMagnitude, double[] db, double[] dbMagnitude) = Reference.WeightGradient(dy, x, batch, g);
        (double[] dx, double[] dxMagnitude) = Reference.InputGradient(dy, w, batch, g);
        foreach (SimdLevel level in Levels())
        {
            float[] gw = Filled(g.WeightCount, float.NaN), gb = Filled(g.Filters, float.NaN);
            Conv2D.BackwardParameters(level, gw, gb, dy, x, batch, g, threads: 1);
            for (int i = 0; i < dw.Length; i++) AssertClose(dw[i], gw[i], dwMagnitude[i], $"{level} weight gradient {i}");
            for (int i = 0; i < db.Length; i++) AssertClose(db[i], gb[i], dbMagnitude[i], $"{level} bias gradient {i}");

            float[] gx = Filled(batch * g.InputSize + 3, float.NaN);
            Conv2D.BackwardInput(level, gx, dy, w, batch, g, threads: 1);
            for (int i = 0; i < dx.Length; i++) AssertClose(dx[i], gx[i], dxMagnitude[i], $"{level} input gradient {i}");
            for (int i = dx.Length; i < gx.Length; i++) Assert.True(float.IsNaN(gx[i]), "written past the input gradient");
        }
    }

    [Theory]
    [InlineData(6, 12, 12, 16, 5, 0, 3)]  // LeNet conv2 after pool 2 and spatial dropout
    [InlineData(3, 9, 10, 12, 3, 1, 2)]   // Same padding, filters that fill no whole vector at 256 bits
    [InlineData(2, 11, 13, 4, 7, 0, 2)]   // kernel rows of 7 (at 128 bits too wide: the product there)
    [InlineData(2, 8, 8, 24, 3, 0, 2)]    // three vectors of filters at 256 bits
    public void A_pooled_output_gradient_is_scattered_into_the_input_gradient_and_summed_sparsely_into_the_weight_gradient(int channels,
        int height, int width, int filters, int k, int pad, int batch)
    {
        // As max pooling 2 × 2 leaves it: one value per window of each filter (a random one of the four), whole channels of
        // some examples zero (spatial dropout), some maxima not positive (their ReLU's gradient is zero).
        var g = new Conv2DGeometry(channels, height, width, filters, k, 1, pad, pad, height + 2 * pad - k + 1, width + 2 * pad - k + 1);
        (float[] x, float[] w, _, float[] dy) = Operands(g, batch, 41, inputZeros: 0, gradientZeros: 0);
        var rng = new SplitMix64(42);
        int oh = g.OutHeight, ow = g.OutWidth;
        for (int plane = 0; plane < batch * filters; plane++)
        {
            bool dropped = rng.NextInt32(5) == 0;
            for (int by = 0; by < oh; by += 2)
                for (int bx = 0; bx < ow; bx += 2)
                {
                    int keep = rng.NextInt32(4), kept = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        int oy = by + i / 2, ox = bx + i % 2;
                        if (oy >= oh || ox >= ow) continue;
                        bool passes = i == keep && !dropped && rng.NextInt32(8) != 0;
                        if (!passes) dy[(long)plane * oh * ow + oy * ow + ox] = 0f;
                        kept += passes ? 1 : 0;
                    }
                }
        }
        (double[] dx, double[] magnitude) = Reference.InputGradient(dy, w, batch, g);
        (double[] dw, double[] dwMagnitude, double[] db, double[] dbMagnitude) = Reference.WeightGradient(dy, x, batch, g);
        int size = g.InputSize, outputSize = g.OutputSize;
        foreach (SimdLevel level in Levels())
        {
            // The weight gradient over the non-zero gradients alone: unpadded kernels rows of up to 6 that fit a vector.
            // Whether it pays depends on the shape and width; LeNet's conv2 takes it with AVX2 (and AVX-512).
            bool sparse = level != SimdLevel.Scalar && pad == 0 && k <= (level == SimdLevel.Vector128 ? 4 : 6);
            if (!sparse) Assert.False(Conv2D.WeightGradientIsSparse(level, dy, x, batch, g), $"{level}");
            if (channels == 6 && level == SimdLevel.Vector256) Assert.True(Conv2D.WeightGradientIsSparse(level, dy, x, batch, g));
            if (sparse)
            {
                float[] direct = Filled(g.WeightCount, float.NaN);
                Conv2D.SparseWeightGradient(level, direct, dy, x, batch, g);
                for (int i = 0; i < dw.Length; i++) AssertClose(dw[i], direct[i], dwMagnitude[i], $"{level} sparse weight gradient {i}");
            }
            float[] gw = Filled(g.WeightCount, float.NaN), gb = Filled(g.Filters, float.NaN);
            Conv2D.BackwardParameters(level, gw, gb, dy, x, batch, g, threads: 1);
            for (int i = 0; i < dw.Length; i++) AssertClose(dw[i], gw[i], dwMagnitude[i], $"{level} weight gradient {i}");
            for (int i = 0; i < db.Length; i++) AssertClose(db[i], gb[i], dbMagnitude[i], $"{level} bias gradient {i}");
            float[] two = Filled(g.WeightCount, float.NaN), twoBias = Filled(g.Filters, float.NaN);
            Conv2D.BackwardParameters(level, two, twoBias, dy, x, batch, g, threads: 2);
            Assert.Equal(Bits(gw), Bits(two));
            // A non-finite input takes the dense sum (a left-out 0 · ∞ is NaN there).
            float[] infiniteInput = (float[])x.Clone();
            infiniteInput[1] = float.PositiveInfinity;
            Assert.False(Conv2D.WeightGradientIsSparse(level, dy, infiniteInput, batch, g), $"{level} infinite input");

            // The whole pass (which scatters where it pays), then the kernel alone, example by example.
            float[] gx = Filled(batch * size + 3, float.NaN);
            Conv2D.BackwardInput(level, gx, dy, w, batch, g, threads: 1);
            for (int i = 0; i < dx.Length; i++) AssertClose(dx[i], gx[i], magnitude[i], $"{level} input gradient {i}");
            for (int i = dx.Length; i < gx.Length; i++) Assert.True(float.IsNaN(gx[i]), "written past the input gradient");
            float[] gx2 = Filled(batch * size + 3, float.NaN);
            Conv2D.BackwardInput(level, gx2, dy, w, batch, g, threads: 2);
            Assert.Equal(Bits(gx), Bits(gx2));
            // Non-finite weights: never scattered (a left-out zero gradient would hide 0 · ∞).
            float[] infiniteWeights = (float[])w.Clone();
            infiniteWeights[0] = float.PositiveInfinity;
            Assert.False(Conv2D.ScatterExample(level, new float[size], dy.AsSpan(0, outputSize), infiniteWeights, g), $"{level} infinite weights");
            // Whether it pays depends on the width (AVX-512's product takes half the vectors of AVX2's): these shapes are
            // sparse enough at 256 and 128 bits.
            bool applies = level != SimdLevel.Scalar && k <= (level == SimdLevel.Vector128 ? 4 : 8);
            for (int b = 0; b < batch; b++)
            {
                float[] one = Filled(size, float.NaN);
                bool scattered = Conv2D.ScatterExample(level, one, dy.AsSpan(b * outputSize, outputSize), w, g);
                if (!applies || level is SimdLevel.Vector256 or SimdLevel.Vector128) Assert.Equal(applies, scattered);
                if (channels == 6 && applies) Assert.True(scattered, $"{level}: LeNet's conv2 not scattered");
                if (!scattered) continue;
                for (int i = 0; i < size; i++) AssertClose(dx[b * size + i], one[i], magnitude[b * size + i], $"{level} scattered example {b} input gradient {i}");
            }
            if (!applies) continue;
            // Declined, with nothing written: a dense output gradient (dearer scattered), an infinite one (0 · ∞ would be lost).
            float[] untouched = Filled(size, -3f);
            float[] dense = Operands(g, 1, 43, 0, 0).OutputGradient;
            Assert.False(Conv2D.ScatterExample(level, untouched, dense, w, g), $"{level} dense");
            float[] infinite = dy.AsSpan(0, outputSize).ToArray();
            infinite[outputSize / 2] = float.PositiveInfinity;
            Assert.False(Conv2D.ScatterExample(level, untouched, infinite, w, g), $"{level} infinite");
            Assert.All(untouched, v => Assert.Equal(-3f, v));
        }
    }

    [Fact]
    public void The_tested_shapes_reach_every_method()
    {
        foreach (SimdLevel level in Levels())
        {
            var seen = new HashSet<string>();
            foreach ((_, Conv2DGeometry g, _) in Cases())
            {
                var methods = Conv2D.Methods(g, level);
                seen.Add($"forward {methods.Forward}");
                seen.Add($"weights {methods.WeightGradient}");
                seen.Add($"input {methods.InputGradient}");
            }
            var expected = new List<string> { "forward Pointwise", "forward Grid", "forward Patches", "weights Grid", "weights Patches",
                "input Pointwise", "input Grid", "input Patches" };
            if (level != SimdLevel.Scalar) expected.AddRange(["forward FilterVectors", "weights FilterVectors", "forward OutputRows"]);
            bool masked = level != SimdLevel.Scalar;
            if (masked) expected.Add("input OutputRows");
            foreach (string method in expected) Assert.True(seen.Contains(method), $"{level}: no tested shape takes {method}");
            Conv2D.Method lanes = level == SimdLevel.Scalar ? Conv2D.Method.Grid : Conv2D.Method.FilterVectors;
            Conv2D.Method input = masked ? Conv2D.Method.OutputRows : Conv2D.Method.Grid;
            Assert.Equal((lanes, lanes, input), Conv2D.Methods(Conv2DGeometry.Valid(6, 12, 12, 16, 5), level));
        }
    }

    [Theory]
    [InlineData(1, 28, 28, 6, 5, 2, 2, 3)]   // LeNet conv1 and pool 1
    [InlineData(6, 12, 12, 16, 5, 2, 2, 2)]  // LeNet conv2 and pool 2
    [InlineData(2, 9, 11, 3, 3, 3, 2, 2)]    // overlapping windows, the last column unread
    [InlineData(1, 8, 8, 8, 7, 2, 2, 2)]     // a kernel too wide for 128-bit vectors (the dense path there)
    public void The_weight_gradient_through_max_pooling_matches_the_dense_one(int channels, int height, int width, int filters, int k,
        int size, int stride, int batch)
    {
        // From the pooling's gradient, its maxima and output (ReLU before it): against unpooling, the ReLU's derivative and
        // the direct weight gradient; also a non-finite input and a maximum outside its filter's plane, which take the
        // dense path (the sums over the maxima alone would miss 0 · NaN, or read the wrong window).
        var g = Conv2DGeometry.Valid(channels, height, width, filters, k);
        int ph = (g.OutHeight - size) / stride + 1, pw = (g.OutWidth - size) / stride + 1, pooledSize = filters * ph * pw;
        (float[] x, float[] w, float[] bias, _) = Operands(g, batch, (ulong)(channels * 100 + k), inputZeros: 0.2, gradientZeros: 0);
        var y = new float[batch * g.OutputSize];
        Conv2D.Forward(y, x, w, bias, batch, g, Activation.ReLU);
        var pooled = new float[batch * pooledSize];
        var at = new int[pooled.Length];
        MaxPool2D.Forward(pooled, at, y, batch, filters, g.OutHeight, g.OutWidth, size, stride, ph, pw);
        var rng = new SplitMix64(9);
        var dPooled = new float[pooled.Length];
        for (int i = 0; i < dPooled.Length; i++) dPooled[i] = (float)(rng.NextDouble() - 0.5);
        foreach (string variant in new[] { "plain", "non-finite input", "maximum outside its plane" })
        {
            float[] input = (float[])x.Clone();
            int[] argmax = (int[])at.Clone();
            if (variant == "non-finite input") input[g.InputSize + 5] = float.NaN;
            if (variant == "maximum outside its plane" && filters > 1) argmax[3] = argmax[pooledSize - 1]; // filter 0's output at the last filter's maximum
            var dConv = new float[y.Length];
            MaxPool2D.Backward(dConv, dPooled, argmax, batch, filters, g.OutHeight, g.OutWidth, ph, pw);
            Activations.ReLUBackward(dConv, y);
            (double[] dw, double[] dwMagnitude, double[] db, double[] dbMagnitude) = Reference.WeightGradient(dConv, input, batch, g);
            foreach (SimdLevel level in Levels())
            {
                float[] gw = Filled(g.WeightCount, float.NaN), gb = Filled(g.Filters, float.NaN), scratch = Filled(y.Length, float.NaN);
                Conv2D.BackwardParametersThroughMaxPool(level, gw, gb, scratch, dPooled, argmax, pooled, relu: true, input, batch, g, ph, pw, threads: 1);
                if (variant == "non-finite input")
                {
                    AssertSameNaNs(dw, gw, $"{level} {variant} weight gradient");
                    continue;
                }
                for (int i = 0; i < dw.Length; i++) AssertClose(dw[i], gw[i], dwMagnitude[i], $"{level} {variant} weight gradient {i}");
                for (int i = 0; i < db.Length; i++) AssertClose(db[i], gb[i], dbMagnitude[i], $"{level} {variant} bias gradient {i}");
            }
        }
    }

    [Theory]
    [InlineData("LeNet conv2")]
    [InlineData("CNN conv2 same")]
    [InlineData("lanes F8 valid 9x7 k4")]
    public void The_input_gradient_leaves_out_whole_zero_filter_planes_only_where_exact(string name)
    {
        // Whole planes of the output gradient zero, as after spatial dropout: over the output rows the product leaves those
        // filters out; with an infinite weight it must not (0 · ∞ is NaN in the definition), and all-zero examples give 0.
        (Conv2DGeometry g, int batch) = Case(name);
        (float[] x, float[] w, _, float[] dy) = Operands(g, batch, Seed(name) + 2, inputZeros: 0, gradientZeros: 0.6);
        int plane = g.OutputPlaneSize;
        for (int b = 0; b < batch; b++)
            for (int f = 0; f < g.Filters; f++)
                if ((b + f) % 3 == 0 || b == batch - 1) Array.Clear(dy, (b * g.Filters + f) * plane, plane);
        foreach (bool infinite in new[] { false, true })
        {
            if (infinite) w[g.PatchSize + 1] = float.PositiveInfinity; // filter 1, whose plane is zero in example 0 (or 2)
            (double[] dx, double[] magnitude) = Reference.InputGradient(dy, w, batch, g);
            foreach (SimdLevel level in Levels())
            {
                float[] gx = Filled(batch * g.InputSize + 3, float.NaN);
                Conv2D.BackwardInput(level, gx, dy, w, batch, g, threads: 1);
                if (infinite)
                    AssertSameNaNs(dx, gx[..dx.Length], $"{level} input gradient, infinite weight");
                else
                    for (int i = 0; i < dx.Length; i++) AssertClose(dx[i], gx[i], magnitude[i], $"{level} input gradient {i}");
                for (int i = dx.Length; i < gx.Length; i++) Assert.True(float.IsNaN(gx[i]), "written past the input gradient");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Non_finite_values_give_NaN_where_the_definition_does(int stride)
    {
        // One NaN input, one infinite weight: on the grid the positions that are not outputs would meet them against zero
        // gradients, so the gradients that would take them in take the patch path; the results must match the definition.
        var g = Conv2DGeometry.Valid(2, 7, 7, 3, 3, stride);
        const int batch = 2;
        (float[] x, float[] w, float[] bias, float[] dy) = Operands(g, batch, 5, inputZeros: 0.3, gradientZeros: 0.6);
        x[g.InputSize + 3 * 7 + 6] = float.NaN; // example 1, channel 0, row 3, last column: read by the last windows only
        w[g.PatchSize + 4] = float.PositiveInfinity;
        foreach (SimdLevel level in Levels())
        {
            float[] y = new float[batch * g.OutputSize];
            Conv2D.Forward(level, y, x, w, bias, batch, g, Activation.None, 1);
            AssertSameNaNs(Reference.Forward(x, w, bias, batch, g).Value, y, $"{level} forward");
            float[] gw = new float[g.WeightCount], gb = new float[g.Filters];
            Conv2D.BackwardParameters(level, gw, gb, dy, x, batch, g, 1);
            AssertSameNaNs(Reference.WeightGradient(dy, x, batch, g).Weights, gw, $"{level} weight gradient");
            float[] gx = new float[batch * g.InputSize];
            Conv2D.BackwardInput(level, gx, dy, w, batch, g, 1);
            AssertSameNaNs(Reference.InputGradient(dy, w, batch, g).Value, gx, $"{level} input gradient");
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    public void The_gradients_agree_with_central_differences_of_the_forward_pass(int stride, int pad)
    {
        // L = Σ r ⊙ tanh(conv(x)): dL/dz = r ⊙ (1 − y²) is the output gradient; both gradients against (L(θ+h) − L(θ−h)) / 2h.
        var g = new Conv2DGeometry(2, 6, 5, 3, 3, stride, pad, pad, (6 + 2 * pad - 3) / stride + 1, (5 + 2 * pad - 3) / stride + 1);
        const int batch = 2;
        (float[] x, float[] w, float[] bias, float[] r) = Operands(g, batch, 11, inputZeros: 0, gradientZeros: 0);
        var y = new float[batch * g.OutputSize];
        double Loss()
        {
            Conv2D.Forward(y, x, w, bias, batch, g, Activation.Tanh);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += r[i] * (double)y[i];
            return sum;
        }
        Loss();
        var dz = new float[y.Length];
        for (int i = 0; i < dz.Length; i++) dz[i] = r[i] * (1 - y[i] * y[i]);
        float[] gw = new float[g.WeightCount], gb = new float[g.Filters], gx = new float[x.Length];
        Conv2D.BackwardParameters(gw, gb, dz, x, batch, g);
        Conv2D.BackwardInput(gx, dz, w, batch, g);
        AssertCentralDifferences(w, gw, Loss, "weight");
        AssertCentralDifferences(bias, gb, Loss, "bias");
        AssertCentralDifferences(x, gx, Loss, "input");
    }

    [Fact]
    public void One_and_two_threads_give_identical_bits()
    {
        foreach ((Conv2DGeometry g, int batch) in new[]
        {
            (Conv2DGeometry.Valid(1, 28, 28, 6, 5), 8),
            (Conv2DGeometry.Valid(6, 12, 12, 16, 5), 11),
            (Conv2DGeometry.Same(16, 14, 14, 32, 3), 3),
            (Conv2DGeometry.Same(8, 16, 16, 16, 3, 2), 9),
        })
        {
            Assert.True(batch * g.MultiplyAddsPerExample >= Gemm.MinimumSplitWork, $"{g}: too little work to be split");
            (float[] x, float[] w, float[] bias, float[] dy) = Operands(g, batch, 3, inputZeros: 0.3, gradientZeros: 0.5);
            foreach (SimdLevel level in Levels())
            {
                (float[] y1, float[] dw1, float[] db1, float[] dx1) = Run(level, 1);
                (float[] y2, float[] dw2, float[] db2, float[] dx2) = Run(level, 2);
                Assert.Equal(Bits(y1), Bits(y2));
                Assert.Equal(Bits(dw1), Bits(dw2));
                Assert.Equal(Bits(db1), Bits(db2));
                Assert.Equal(Bits(dx1), Bits(dx2));
            }

            (float[], float[], float[], float[]) Run(SimdLevel level, int threads)
            {
                float[] y = new float[batch * g.OutputSize], dw = new float[g.WeightCount], db = new float[g.Filters], dx = new float[x.Length];
                for (int repeat = 0; repeat < 3; repeat++) // the helpers claim parts in whatever order they wake
                {
                    Conv2D.Forward(level, y, x, w, bias, batch, g, Activation.ReLU, threads);
                    Conv2D.BackwardParameters(level, dw, db, dy, x, batch, g, threads);
                    Conv2D.BackwardInput(level, dx, dy, w, batch, g, threads);
                }
                return (y, dw, db, dx);
            }
        }
    }

    [Fact]
    public void An_empty_batch_writes_zero_gradients_and_nothing_else()
    {
        var g = Conv2DGeometry.Valid(2, 5, 5, 3, 3);
        float[] dw = Filled(g.WeightCount, 1f), db = Filled(g.Filters, 1f), y = Filled(4, 1f);
        Conv2D.BackwardParameters(dw, db, default, default, 0, g);
        Assert.All(dw, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
        Conv2D.Forward(y, default, new float[g.WeightCount], new float[g.Filters], 0, g);
        Conv2D.BackwardInput(y, default, new float[g.WeightCount], 0, g);
        Assert.All(y, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Short_spans_and_bad_arguments_throw_naming_the_argument()
    {
        var g = Conv2DGeometry.Valid(2, 5, 5, 3, 3); // input 50, output 27, weights 54 per example
        float[] ok = new float[200], shortSpan = new float[10];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Conv2D.Forward(shortSpan, ok, ok, ok, 2, g)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => Conv2D.Forward(ok, shortSpan, ok, ok, 2, g)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Conv2D.Forward(ok, ok, shortSpan, ok, 2, g)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Conv2D.Forward(ok, ok, ok, new float[2], 2, g)).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(ok, ok, ok, ok, 2, g, (Activation)42)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(ok, ok, ok, ok, -1, g)).ParamName);
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(ok, ok, ok, ok, 2, g, threads: 0)).ParamName);
        Assert.Equal("geometry", Assert.Throws<ArgumentException>(() => Conv2D.Forward(ok, ok, ok, ok, 2, default)).ParamName);
        Assert.Equal("dWeights", Assert.Throws<ArgumentException>(() => Conv2D.BackwardParameters(shortSpan, ok, ok, ok, 2, g)).ParamName);
        Assert.Equal("dBias", Assert.Throws<ArgumentException>(() => Conv2D.BackwardParameters(ok, new float[2], ok, ok, 2, g)).ParamName);
        Assert.Equal("dOutput", Assert.Throws<ArgumentException>(() => Conv2D.BackwardParameters(ok, ok, new float[53], ok, 2, g)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => Conv2D.BackwardParameters(ok, ok, ok, new float[99], 2, g)).ParamName);
        Assert.Equal("geometry", Assert.Throws<ArgumentException>(() => Conv2D.BackwardParameters(ok, ok, ok, ok, 2, default)).ParamName);
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.BackwardParameters(ok, ok, ok, ok, 2, g, 0)).ParamName);
        Assert.Equal("dInput", Assert.Throws<ArgumentException>(() => Conv2D.BackwardInput(new float[99], ok, ok, 2, g)).ParamName);
        Assert.Equal("dOutput", Assert.Throws<ArgumentException>(() => Conv2D.BackwardInput(ok, new float[53], ok, 2, g)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Conv2D.BackwardInput(ok, ok, new float[53], 2, g)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.BackwardInput(ok, ok, ok, -2, g)).ParamName);
        Assert.All(ok, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void The_geometry_checks_each_argument_and_derives_the_sizes()
    {
        string Fails(Func<Conv2DGeometry> make) => Assert.Throws<ArgumentOutOfRangeException>(() => make()).ParamName!;
        Assert.Equal("channels", Fails(() => new Conv2DGeometry(0, 5, 5, 1, 3, 1, 0, 0, 3, 3)));
        Assert.Equal("height", Fails(() => new Conv2DGeometry(1, 0, 5, 1, 3, 1, 0, 0, 3, 3)));
        Assert.Equal("width", Fails(() => new Conv2DGeometry(1, 5, -1, 1, 3, 1, 0, 0, 3, 3)));
        Assert.Equal("filters", Fails(() => new Conv2DGeometry(1, 5, 5, 0, 3, 1, 0, 0, 3, 3)));
        Assert.Equal("kernelSize", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 0, 1, 0, 0, 3, 3)));
        Assert.Equal("stride", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 0, 0, 0, 3, 3)));
        Assert.Equal("padTop", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 1, 3, 0, 3, 3)));
        Assert.Equal("padTop", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 1, -1, 0, 3, 3)));
        Assert.Equal("padLeft", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 1, 0, 3, 3, 3)));
        Assert.Equal("outHeight", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 1, 0, 0, 0, 3)));
        Assert.Equal("outHeight", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 1, 0, 0, 6, 3))); // last window starts past the input
        Assert.Equal("outWidth", Fails(() => new Conv2DGeometry(1, 5, 5, 1, 3, 2, 0, 1, 3, 4)));
        Assert.Equal("filters", Fails(() => new Conv2DGeometry(50_000, 1, 1, 50_000, 1, 1, 0, 0, 1, 1)));
        Assert.Equal("height", Fails(() => Conv2DGeometry.Valid(1, 2, 5, 1, 3)));
        Assert.Equal("width", Fails(() => Conv2DGeometry.Valid(1, 5, 2, 1, 3)));
        Assert.Equal("stride", Fails(() => Conv2DGeometry.Same(1, 5, 5, 1, 3, 0)));

        var lenet = Conv2DGeometry.Valid(6, 12, 12, 16, 5);
        Assert.Equal((8, 8, 0, 0, 0, 0), (lenet.OutHeight, lenet.OutWidth, lenet.PadTop, lenet.PadLeft, lenet.PadBottom, lenet.PadRight));
        Assert.Equal((864, 1024, 150, 2400, 64), (lenet.InputSize, lenet.OutputSize, lenet.PatchSize, lenet.WeightCount, lenet.OutputPlaneSize));
        Assert.Equal(1024L * 150, lenet.MultiplyAddsPerExample);
        // TensorFlow's Same: 28 → 14 with stride 2 and k 3: total padding max((14 − 1)·2 + 3 − 28, 0) = 1, all of it bottom/right.
        var same = Conv2DGeometry.Same(1, 28, 28, 4, 3, 2);
        Assert.Equal((14, 14, 0, 0, 1, 1), (same.OutHeight, same.OutWidth, same.PadTop, same.PadLeft, same.PadBottom, same.PadRight));
        // k 4, stride 1 on 7: total 3, one on top, two at the bottom.
        var even = Conv2DGeometry.Same(1, 7, 5, 1, 4);
        Assert.Equal((7, 5, 1, 1, 2, 2), (even.OutHeight, even.OutWidth, even.PadTop, even.PadLeft, even.PadBottom, even.PadRight));
        Assert.Equal(new Conv2DGeometry(1, 7, 5, 1, 4, 1, 1, 1, 7, 5), even);
        Assert.NotEqual(same, even);
        Assert.Equal("6×12×12 → 16×8×8, kernel 5, stride 1, pad 0/0", lenet.ToString());
    }

    private static void AssertCentralDifferences(float[] parameters, float[] analytic, Func<double> loss, string what)
    {
        const float h = 1e-2f;
        double largest = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            float original = parameters[i];
            float plus = original + h, minus = original - h;
            parameters[i] = plus;
            double up = loss();
            parameters[i] = minus;
            double down = loss();
            parameters[i] = original;
            double numeric = (up - down) / ((double)plus - minus);
            // tanh's third derivative makes the central difference off by O(h²) ≈ 1e-4 of the scale; float forward passes add ~1e-5.
            double allowed = 2e-3 + 2e-3 * Math.Abs(numeric);
            Assert.True(Math.Abs(numeric - analytic[i]) <= allowed, $"{what} {i}: analytic {analytic[i]:G9}, numeric {numeric:G9}");
            largest = Math.Max(largest, Math.Abs(analytic[i]));
        }
        Assert.True(largest > 0.1, $"the {what} gradients are all about zero ({largest}): the check would check nothing");
    }

    private static void AssertSameNaNs(double[] expected, float[] actual, string what)
    {
        int nans = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsNaN(expected[i]) == float.IsNaN(actual[i]), $"{what} {i}: {actual[i]}, expected {expected[i]}");
            if (double.IsNaN(expected[i])) nans++;
        }
        Assert.True(nans > 0 && nans < expected.Length, $"{what}: {nans} NaNs of {expected.Length}, so the case checks nothing");
    }

    private static void AssertClose(double expected, float actual, double magnitude, string what)
    {
        double bound = Relative * magnitude + Absolute;
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual:R}, expected {expected:R} ± {bound:G3}");
    }

    /// <summary>A seed from a case's name that is the same in every process (string hash codes are not).</summary>
    private static ulong Seed(string name)
    {
        ulong seed = 1469598103934665603UL;
        foreach (char c in name) seed = (seed ^ c) * 1099511628211UL;
        return seed;
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static float[] Filled(int count, float value)
    {
        var values = new float[count];
        Array.Fill(values, value);
        return values;
    }

    /// <summary>Random inputs, weights, bias and output gradients for <paramref name="batch"/> examples of <paramref name="g"/>.</summary>
    private static (float[] Input, float[] Weights, float[] Bias, float[] OutputGradient) Operands(Conv2DGeometry g, int batch, ulong seed,
        double inputZeros, double gradientZeros)
    {
        var rng = new SplitMix64(seed);
        return (Values(batch * g.InputSize, inputZeros, ref rng), Values(g.WeightCount, 0, ref rng), Values(g.Filters, 0, ref rng),
            Values(batch * g.OutputSize, gradientZeros, ref rng));
    }

    /// <summary>Uniform in ±[0.001, 1), with a share of exact zeros.</summary>
    private static float[] Values(int count, double zeros, ref SplitMix64 rng)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            if (rng.NextDouble() < zeros) continue;
            double magnitude = 0.001 + 0.999 * rng.NextDouble();
            values[i] = (float)(rng.NextDouble() < 0.5 ? -magnitude : magnitude);
        }
        return values;
    }

    /// <summary>The convolution as the definition reads, in double, with Σ|terms| beside each result for the tolerance.</summary>
    internal static class Reference
    {
        /// <summary>The input (c, iy, ix) under output (oy, ox) and weight (ky, kx), or −1 in the padding.</summary>
        private static int InputIndex(in Conv2DGeometry g, int c, int oy, int ox, int ky, int kx)
        {
            int iy = oy * g.Stride - g.PadTop + ky, ix = ox * g.Stride - g.PadLeft + kx;
            if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) return -1;
            return (c * g.Height + iy) * g.Width + ix;
        }

        private static int WeightIndex(in Conv2DGeometry g, int f, int c, int ky, int kx) => ((f * g.Channels + c) * g.KernelSize + ky) * g.KernelSize + kx;

        private static int OutputIndex(in Conv2DGeometry g, int f, int oy, int ox) => (f * g.OutHeight + oy) * g.OutWidth + ox;

        /// <summary>Calls <paramref name="term"/>(b, f, c, oy, ox, ky, kx, input index) for every product of the convolution.</summary>
        private static void ForEachTerm(in Conv2DGeometry g, int batch, Action<int, int, int, int, int, int, int, int> term)
        {
            for (int b = 0; b < batch; b++)
                for (int f = 0; f < g.Filters; f++)
                    for (int oy = 0; oy < g.OutHeight; oy++)
                        for (int ox = 0; ox < g.OutWidth; ox++)
                            for (int c = 0; c < g.Channels; c++)
                                for (int ky = 0; ky < g.KernelSize; ky++)
                                    for (int kx = 0; kx < g.KernelSize; kx++)
                                    {
                                        int i = InputIndex(g, c, oy, ox, ky, kx);
                                        if (i >= 0) term(b, f, c, oy, ox, ky, kx, i);
                                    }
        }

        public static (double[] Value, double[] Magnitude) Forward(float[] x, float[] w, float[] bias, int batch, Conv2DGeometry g)
        {
            var z = new double[batch * g.OutputSize];
            var magnitude = new double[z.Length];
            for (int b = 0; b < batch; b++)
                for (int f = 0; f < g.Filters; f++)
                    for (int j = 0; j < g.OutputPlaneSize; j++)
                    {
                        z[b * g.OutputSize + f * g.OutputPlaneSize + j] = bias[f];
                        magnitude[b * g.OutputSize + f * g.OutputPlaneSize + j] = Math.Abs(bias[f]);
                    }
            ForEachTerm(g, batch, (b, f, c, oy, ox, ky, kx, i) =>
            {
                double t = (double)x[b * g.InputSize + i] * w[WeightIndex(g, f, c, ky, kx)];
                int o = b * g.OutputSize + OutputIndex(g, f, oy, ox);
                z[o] += t;
                magnitude[o] += Math.Abs(t);
            });
            return (z, magnitude);
        }

        public static (double[] Weights, double[] WeightMagnitude, double[] Bias, double[] BiasMagnitude) WeightGradient(
            float[] dy, float[] x, int batch, Conv2DGeometry g)
        {
            var dw = new double[g.WeightCount];
            var dwMagnitude = new double[dw.Length];
            var db = new double[g.Filters];
            var dbMagnitude = new double[db.Length];
            for (int b = 0; b < batch; b++)
                for (int f = 0; f < g.Filters; f++)
                    for (int j = 0; j < g.OutputPlaneSize; j++)
                    {
                        double d = dy[b * g.OutputSize + f * g.OutputPlaneSize + j];
                        db[f] += d;
                        dbMagnitude[f] += Math.Abs(d);
                    }
            ForEachTerm(g, batch, (b, f, c, oy, ox, ky, kx, i) =>
            {
                double t = (double)dy[b * g.OutputSize + OutputIndex(g, f, oy, ox)] * x[b * g.InputSize + i];
                int wi = WeightIndex(g, f, c, ky, kx);
                dw[wi] += t;
                dwMagnitude[wi] += Math.Abs(t);
            });
            return (dw, dwMagnitude, db, dbMagnitude);
        }

        public static (double[] Value, double[] Magnitude) InputGradient(float[] dy, float[] w, int batch, Conv2DGeometry g)
        {
            var dx = new double[batch * g.InputSize];
            var magnitude = new double[dx.Length];
            ForEachTerm(g, batch, (b, f, c, oy, ox, ky, kx, i) =>
            {
                double t = (double)dy[b * g.OutputSize + OutputIndex(g, f, oy, ox)] * w[WeightIndex(g, f, c, ky, kx)];
                dx[b * g.InputSize + i] += t;
                magnitude[b * g.InputSize + i] += Math.Abs(t);
            });
            return (dx, magnitude);
        }

        public static double Activate(Activation activation, double z) => activation switch
        {
            Activation.None => z,
            Activation.ReLU => Math.Max(z, 0),
            Activation.Tanh => Math.Tanh(z),
            Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
            Activation.SELU => z > 0 ? 1.0507009873554805 * z : 1.0507009873554805 * 1.6732632423543772 * (Math.Exp(z) - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
    }
}
