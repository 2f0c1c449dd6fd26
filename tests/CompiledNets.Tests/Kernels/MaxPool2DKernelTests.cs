using System;
using System.Collections.Generic;
using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// <see cref="MaxPool2D"/> against windows read as PyTorch reads them (row by row; a value replaces the maximum when it
/// is greater or NaN), on every level this machine runs: the 2 × 2 stride-2 vector paths (windows that tile the input, in
/// chunks of rows that do not end with an example, and the 4-lane path for those that do not) with row widths that are
/// and are not multiples of 4, 8 and 16 lanes, odd inputs whose last row or column no window reads, overlapping windows (3 × 3 stride 2,
/// 2 × 2 stride 1), ties, NaN and −∞; the backward pass's accumulation; and the argument checks.
/// </summary>
public class MaxPool2DKernelTests
{
    public static TheoryData<int, int, int, int, int, int> Shapes() => new()
    {
        // channels, height, width, size, stride, batch
        { 6, 24, 24, 2, 2, 3 },  // LeNet pool 1
        { 16, 8, 8, 2, 2, 2 },   // LeNet pool 2
        { 2, 7, 9, 2, 2, 3 },    // last row and column unread; 4 outputs per row: one vector, no remainder
        { 3, 10, 22, 2, 2, 1 },  // 11 per row: two vectors and three left over
        { 1, 2, 6, 2, 2, 2 },    // 3 per row: no whole vector
        { 2, 4, 36, 2, 2, 2 },   // 18 per row: a 16-lane vector and one that overlaps it
        { 1, 6, 32, 2, 2, 3 },   // 16 per row: one 16-lane vector
        { 4, 9, 11, 3, 2, 2 },   // overlapping windows
        { 2, 6, 7, 2, 1, 3 },    // overlapping windows, stride 1
        { 3, 9, 9, 3, 3, 1 },
        { 2, 5, 4, 1, 1, 2 },
        { 1, 5, 5, 5, 1, 1 },    // one window, the whole plane
        { 2, 8, 8, 4, 2, 2 },
        { 2, 6, 8, 1, 2, 2 },    // 1 × 1 windows with stride 2: the input is still tiled by 2 × 2 blocks, one per output
    };

    private static IEnumerable<SimdLevel> Levels() => SupportedLevels.All();

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_windows_read_in_order_with_ties_NaN_and_infinities(int channels, int height, int width, int size, int stride, int batch)
    {
        int oh = (height - size) / stride + 1, ow = (width - size) / stride + 1;
        var rng = new SplitMix64((ulong)(channels * 1000 + height * 100 + width * 10 + size + stride));
        foreach (string values in new[] { "distinct", "ties", "special" })
        {
            float[] x = Input(batch * channels * height * width, values, ref rng);
            (float[] expected, int[] expectedAt) = Reference(x, batch, channels, height, width, size, stride, oh, ow);
            foreach (SimdLevel level in Levels())
            {
                var y = new float[expected.Length + 2];
                var at = new int[expected.Length + 2];
                y.AsSpan().Fill(12345f);
                at.AsSpan().Fill(-7);
                MaxPool2D.Forward(level, y, at, x, batch, channels, height, width, size, stride, oh, ow);
                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]) || (float.IsNaN(expected[i]) && float.IsNaN(y[i])),
                        $"{level} {values}: output {i} is {y[i]}, expected {expected[i]}");
                    Assert.True(expectedAt[i] == at[i], $"{level} {values}: argmax {i} is {at[i]}, expected {expectedAt[i]}");
                }
                Assert.Equal(12345f, y[^1]);
                Assert.Equal(-7, at[^1]);
            }
        }
    }

    /// <summary>The shapes above and rows of 4 to 15 outputs (a vector per row, reading into the next row).</summary>
    public static TheoryData<int, int, int, int, int, int> ValueShapes()
    {
        var data = Shapes();
        foreach (int ow in new[] { 4, 5, 6, 7, 8, 10, 12, 15 })
            data.Add(1 + ow % 3, 2 * (1 + ow % 4), 2 * ow, 2, 2, 1 + ow % 2);
        return data;
    }

    [Theory]
    [MemberData(nameof(ValueShapes))]
    public void ForwardValues_gives_the_bits_of_Forward_and_writes_nothing_past_the_output(int channels, int height, int width, int size, int stride, int batch)
    {
        int oh = (height - size) / stride + 1, ow = (width - size) / stride + 1, planes = batch * channels;
        var rng = new SplitMix64((ulong)(channels * 1000 + height * 100 + width * 10 + size + stride + 7));
        foreach (string values in new[] { "distinct", "ties", "special" })
        {
            float[] x = Input(planes * height * width, values, ref rng);
            (float[] reference, _) = Reference(x, batch, channels, height, width, size, stride, oh, ow);
            foreach (SimdLevel level in Levels())
            {
                var expected = new float[reference.Length];
                MaxPool2D.Forward(level, expected, new int[expected.Length], x, batch, channels, height, width, size, stride, oh, ow);
                var y = new float[expected.Length + 16];
                y.AsSpan().Fill(12345f);
                float[] scratch = (float[])x.Clone(); // ForwardValues may overwrite its input
                MaxPool2D.ForwardValues(level, y, scratch, planes, height, width, size, stride, oh, ow);
                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                        $"{level} {values}: output {i} is {y[i]}, Forward wrote {expected[i]}");
                    Assert.True(BitConverter.SingleToInt32Bits(reference[i]) == BitConverter.SingleToInt32Bits(y[i]) || (float.IsNaN(reference[i]) && float.IsNaN(y[i])),
                        $"{level} {values}: output {i} is {y[i]}, expected {reference[i]}");
                }
                for (int i = expected.Length; i < y.Length; i++) Assert.Equal(12345f, y[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_sends_each_gradient_to_its_maximum_and_adds_where_windows_overlap(int channels, int height, int width, int size, int stride, int batch)
    {
        int oh = (height - size) / stride + 1, ow = (width - size) / stride + 1;
        var rng = new SplitMix64((ulong)(channels * 7 + height * 5 + width * 3 + size + stride));
        // Ties, so that overlapping windows often share a maximum.
        float[] x = Input(batch * channels * height * width, "ties", ref rng);
        var y = new float[batch * channels * oh * ow];
        var at = new int[y.Length];
        MaxPool2D.Forward(y, at, x, batch, channels, height, width, size, stride, oh, ow);
        var dy = new float[y.Length];
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)(rng.NextDouble() - 0.5);

        var expected = new double[x.Length];
        int inputSize = channels * height * width, outputSize = channels * oh * ow;
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputSize; o++)
                expected[b * inputSize + at[b * outputSize + o]] += dy[b * outputSize + o];

        var dx = new float[x.Length + 1];
        dx.AsSpan().Fill(float.NaN); // cleared, not added to
        MaxPool2D.Backward(dx, dy, at, batch, channels, height, width, oh, ow);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(expected[i] - dx[i]) <= 1e-6 * (1 + Math.Abs(expected[i])), $"dInput {i}: {dx[i]}, expected {expected[i]}");
        Assert.True(float.IsNaN(dx[^1]), "written past dInput");
        if (size > stride && oh * ow > 1)
        {
            var hits = new int[inputSize];
            for (int o = 0; o < outputSize; o++) hits[at[o]]++;
            Assert.True(Array.Exists(hits, n => n >= 2), "no input was the maximum of two windows: accumulation untested");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_through_ReLU_is_backward_then_the_ReLU_derivative_bit_for_bit(int channels, int height, int width, int size, int stride, int batch)
    {
        // The input is a ReLU's output (zeros, ties, NaN, infinities); the fused pass must equal the two passes it
        // replaces, including −0 gradients and windows whose maximum is 0 or NaN.
        int oh = (height - size) / stride + 1, ow = (width - size) / stride + 1;
        var rng = new SplitMix64((ulong)(channels * 11 + height * 7 + width * 5 + size * 3 + stride));
        foreach (string values in new[] { "ties", "special" })
        {
            float[] x = Input(batch * channels * height * width, values, ref rng);
            for (int i = 0; i < x.Length; i++) x[i] = Math.Max(x[i], 0f); // NaN stays NaN, as the vector ReLU keeps it
            var y = new float[batch * channels * oh * ow];
            var at = new int[y.Length];
            MaxPool2D.Forward(y, at, x, batch, channels, height, width, size, stride, oh, ow);
            var dy = new float[y.Length];
            for (int i = 0; i < dy.Length; i++) dy[i] = i % 7 == 3 ? -0f : (float)(rng.NextDouble() - 0.5);
            var expected = new float[x.Length];
            MaxPool2D.Backward(expected, dy, at, batch, channels, height, width, oh, ow);
            Activations.ReLUBackward(expected, x);
            var dx = new float[x.Length + 1];
            dx.AsSpan().Fill(float.NaN);
            MaxPool2D.BackwardThroughReLU(dx, dy, at, y, batch, channels, height, width, oh, ow);
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(dx[i]),
                    $"{values}: dInput {i} is {dx[i]}, expected {expected[i]}");
            Assert.True(float.IsNaN(dx[^1]), "written past dInput");
        }
    }

    [Fact]
    public void Backward_of_2x2_blocks_handles_a_maximum_outside_its_block_and_negative_zero()
    {
        // The blocks fast path writes each 2 × 2 block whole; an argmax outside its own block (possible from another
        // caller's indices) must fall back to clearing and adding, and −0 must come out as +0 (0 + −0), as adding does.
        const int channels = 2, height = 4, width = 18, oh = 2, ow = 9; // 9 per row: the 8-lane AVX2 path, then 4 lanes
        var rng = new SplitMix64(4);
        var at = new int[channels * oh * ow];
        var dy = new float[at.Length];
        for (int c = 0, o = 0; c < channels; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++, o++)
                {
                    at[o] = (c * height + 2 * oy + rng.NextInt32(2)) * width + 2 * ox + rng.NextInt32(2);
                    dy[o] = (float)(rng.NextDouble() - 0.5);
                }
        dy[3] = -0f;
        foreach (bool outside in new[] { false, true })
        {
            if (outside) at[7] = at[2]; // output 7's maximum in output 2's block: the two gradients add up there
            var expected = new float[channels * height * width];
            for (int o = 0; o < at.Length; o++) expected[at[o]] += dy[o];
            var dx = new float[expected.Length];
            dx.AsSpan().Fill(float.NaN);
            MaxPool2D.Backward(dx, dy, at, 1, channels, height, width, oh, ow);
            Assert.Equal(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits), Array.ConvertAll(dx, BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Ties_keep_the_first_and_NaN_wins_with_the_last_NaN_as_in_PyTorch()
    {
        // One 2 × 2 window per case, four cases side by side in a 2 × 8 plane (so the vector path takes them at once).
        float nan = float.NaN, inf = float.PositiveInfinity, ninf = float.NegativeInfinity;
        float[] x =
        [
            1, 1,   5, 2,   nan, 3,   ninf, ninf,
            1, 1,   nan, 9, 4, nan,   ninf, ninf,
        ];
        foreach (SimdLevel level in Levels())
        {
            var y = new float[4];
            var at = new int[4];
            MaxPool2D.Forward(level, y, at, x, 1, 1, 2, 8, 2, 2, 1, 4);
            Assert.Equal(1f, y[0]);
            Assert.Equal(0, at[0]);              // all equal: the first
            Assert.True(float.IsNaN(y[1]));
            Assert.Equal(10, at[1]);             // NaN beats 5, and 9 after it does not beat NaN
            Assert.True(float.IsNaN(y[2]));
            Assert.Equal(13, at[2]);             // two NaNs: the last one
            Assert.Equal(ninf, y[3]);
            Assert.Equal(6, at[3]);              // nothing beats −∞: the first
        }
        float[] big = [inf, 1, 2, inf];
        var one = new float[1];
        var where = new int[1];
        MaxPool2D.Forward(one, where, big, 1, 1, 2, 2, 2, 2, 1, 1);
        Assert.Equal((inf, 0), (one[0], where[0]));
    }

    [Fact]
    public void Bad_arguments_throw_naming_them_and_write_nothing()
    {
        var x = new float[2 * 3 * 6 * 6];
        var y = new float[2 * 3 * 3 * 3];
        var at = new int[y.Length];
        string Range(Action a) => Assert.Throws<ArgumentOutOfRangeException>(a).ParamName!;
        string Short(Action a) => Assert.Throws<ArgumentException>(a).ParamName!;
        Assert.Equal("output", Short(() => MaxPool2D.Forward(new float[53], at, x, 2, 3, 6, 6, 2, 2, 3, 3)));
        Assert.Equal("argmax", Short(() => MaxPool2D.Forward(y, new int[53], x, 2, 3, 6, 6, 2, 2, 3, 3)));
        Assert.Equal("input", Short(() => MaxPool2D.Forward(y, at, new float[215], 2, 3, 6, 6, 2, 2, 3, 3)));
        Assert.Equal("batch", Range(() => MaxPool2D.Forward(y, at, x, -1, 3, 6, 6, 2, 2, 3, 3)));
        Assert.Equal("channels", Range(() => MaxPool2D.Forward(y, at, x, 2, 0, 6, 6, 2, 2, 3, 3)));
        Assert.Equal("size", Range(() => MaxPool2D.Forward(y, at, x, 2, 3, 6, 6, 0, 2, 3, 3)));
        Assert.Equal("stride", Range(() => MaxPool2D.Forward(y, at, x, 2, 3, 6, 6, 2, 0, 3, 3)));
        Assert.Equal("outHeight", Range(() => MaxPool2D.Forward(y, at, x, 2, 3, 6, 6, 2, 2, 4, 3)));
        Assert.Equal("outWidth", Range(() => MaxPool2D.Forward(y, at, x, 2, 3, 6, 6, 2, 2, 3, 4)));
        Assert.Equal("outWidth", Range(() => MaxPool2D.Forward(y, at, x, 2, 3, 6, 6, 2, 2, 3, 0)));
        Assert.All(y, v => Assert.Equal(0f, v));

        var dx = new float[x.Length];
        Assert.Equal("dInput", Short(() => MaxPool2D.Backward(new float[215], y, at, 2, 3, 6, 6, 3, 3)));
        Assert.Equal("dOutput", Short(() => MaxPool2D.Backward(dx, new float[53], at, 2, 3, 6, 6, 3, 3)));
        Assert.Equal("argmax", Short(() => MaxPool2D.Backward(dx, y, new int[53], 2, 3, 6, 6, 3, 3)));
        Assert.Equal("height", Range(() => MaxPool2D.Backward(dx, y, at, 2, 3, 0, 6, 3, 3)));
        dx.AsSpan().Fill(1f);
        at[5] = 3 * 6 * 6; // one past an example's input
        Assert.Equal("argmax", Short(() => MaxPool2D.Backward(dx, y, at, 2, 3, 6, 6, 3, 3)));
        at[5] = -1;
        Assert.Equal("argmax", Short(() => MaxPool2D.Backward(dx, y, at, 2, 3, 6, 6, 3, 3)));
        Assert.All(dx, v => Assert.Equal(1f, v));
    }

    /// <summary>
    /// "distinct": values in ±1; "ties": small integers, many equal; "special": ties with NaN and ±∞ sprinkled in (two
    /// NaNs often share a window).
    /// </summary>
    private static float[] Input(int count, string kind, ref SplitMix64 rng)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = kind == "distinct" ? (float)(2 * rng.NextDouble() - 1) : rng.NextInt32(5) - 2;
            if (kind != "special") continue;
            double u = rng.NextDouble();
            if (u < 0.08) x[i] = float.NaN;
            else if (u < 0.12) x[i] = float.NegativeInfinity;
            else if (u < 0.14) x[i] = float.PositiveInfinity;
        }
        return x;
    }

    /// <summary>Each window read row by row: a value replaces the maximum when it is greater or NaN (PyTorch's rule).</summary>
    private static (float[] Output, int[] Argmax) Reference(float[] x, int batch, int channels, int height, int width, int size, int stride, int oh, int ow)
    {
        var y = new float[batch * channels * oh * ow];
        var at = new int[y.Length];
        int o = 0;
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < channels; c++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++, o++)
                    {
                        float max = float.NegativeInfinity;
                        int index = (c * height + oy * stride) * width + ox * stride;
                        for (int i = 0; i < size; i++)
                            for (int j = 0; j < size; j++)
                            {
                                int within = (c * height + oy * stride + i) * width + ox * stride + j;
                                float v = x[b * channels * height * width + within];
                                if (v > max || float.IsNaN(v))
                                {
                                    max = v;
                                    index = within;
                                }
                            }
                        y[o] = max;
                        at[o] = index;
                    }
        return (y, at);
    }
}
