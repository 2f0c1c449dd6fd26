using System;
using System.Collections.Generic;
using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// <see cref="SpatialDropout.Apply"/> scales whole channels by their mask value (sampled by
/// <see cref="Dropout.SampleMask(Span{float}, float, float, ref SplitMix64)"/> over [batch · channels]), in place and
/// into another span, on every level this machine runs, for channel sizes around the vector widths.
/// </summary>
public class SpatialDropoutKernelTests
{
    private static IEnumerable<SimdLevel> Levels() => SupportedLevels.All();

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 16, 16)]   // LeNet after pool 2: 16 channels of 4 × 4
    [InlineData(2, 6, 144)]   // 12 × 12
    [InlineData(5, 3, 37)]
    [InlineData(2, 7, 5)]
    public void Each_channel_is_multiplied_by_its_mask_value_in_place_or_not(int batch, int channels, int channelSize)
    {
        var rng = new SplitMix64((ulong)(batch * 10_000 + channels * 100 + channelSize));
        var x = new float[batch * channels * channelSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(2 * rng.NextDouble() - 1);
        // Inverted dropout with p = 0.5: kept channels are doubled.
        var mask = new float[batch * channels];
        var stream = Dropout.CreateMaskStream(9);
        Dropout.SampleMask(mask, 0.5f, 2f, ref stream);
        foreach (SimdLevel level in Levels())
        {
            var y = new float[x.Length + 1];
            y[^1] = 42f;
            SpatialDropout.Apply(level, y, x, mask, batch, channels, channelSize);
            var inPlace = (float[])x.Clone();
            SpatialDropout.Apply(level, inPlace, inPlace, mask, batch, channels, channelSize);
            for (int i = 0; i < x.Length; i++)
            {
                float expected = x[i] * mask[i / channelSize];
                Assert.Equal(expected, y[i]);
                Assert.Equal(expected, inPlace[i]);
            }
            Assert.Equal(42f, y[^1]);
        }
    }

    [Fact]
    public void The_backward_pass_is_the_same_product_on_the_gradients()
    {
        // L = Σ r ⊙ dropout(x) ⇒ dL/dx = r ⊙ mask: Apply on r gives it.
        const int batch = 4, channels = 8, size = 9;
        var mask = new float[batch * channels];
        var stream = Dropout.CreateMaskStream(3);
        Dropout.SampleMask(mask, 0.75f, 1f, ref stream);
        Assert.Contains(0f, mask);
        Assert.Contains(1f, mask);
        var r = new float[batch * channels * size];
        for (int i = 0; i < r.Length; i++) r[i] = i % 7 - 3;
        var dx = new float[r.Length];
        SpatialDropout.Apply(dx, r, mask, batch, channels, size);
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < size; i++)
                {
                    int at = (b * channels + c) * size + i;
                    Assert.Equal(mask[b * channels + c] == 0 ? 0f : r[at], dx[at]);
                }
    }

    [Fact]
    public void Bad_arguments_throw_naming_them()
    {
        var x = new float[2 * 3 * 4];
        var mask = new float[6];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => SpatialDropout.Apply(new float[23], x, mask, 2, 3, 4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => SpatialDropout.Apply(new float[24], new float[23], mask, 2, 3, 4)).ParamName);
        Assert.Equal("channelMask", Assert.Throws<ArgumentException>(() => SpatialDropout.Apply(x, x, new float[5], 2, 3, 4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => SpatialDropout.Apply(x.AsSpan(1, 20), x.AsSpan(0, 20), mask, 1, 5, 4)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => SpatialDropout.Apply(x, x, mask, -1, 3, 4)).ParamName);
        Assert.Equal("channels", Assert.Throws<ArgumentOutOfRangeException>(() => SpatialDropout.Apply(x, x, mask, 2, 0, 4)).ParamName);
        Assert.Equal("channelSize", Assert.Throws<ArgumentOutOfRangeException>(() => SpatialDropout.Apply(x, x, mask, 2, 3, 0)).ParamName);
        SpatialDropout.Apply(x, x, mask, 0, 3, 4); // an empty batch is nothing to do
    }
}
