using CompiledNets.Kernels;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// The vectorized mask sampler draws SplitMix64 outputs in the lanes of a vector; it must give exactly the masks (and
/// leave the stream exactly where) drawing the outputs one at a time does: the low half of each output, then the high
/// half, an odd last element taking the low half of one more output.
/// </summary>
public class MaskSamplerTests
{
    [Theory]
    [InlineData(0.5f, 1f)]
    [InlineData(0.8f, 1.25f)]
    [InlineData(0.1f, 10f)]
    [InlineData(1f, 1f)]
    [InlineData(1e-12f, 1f)]
    public void Masks_equal_one_output_at_a_time_for_every_length(float keep, float kept)
    {
        for (int length = 0; length <= 70; length++)
            AssertSameAsScalar(length, keep, kept, seed: (ulong)length);
        foreach (int length in new[] { 127, 128, 129, 1000, 25_600, 25_601 })
            AssertSameAsScalar(length, keep, kept, seed: 99);
    }

    [Theory]
    [MemberData(nameof(GemmKernelTests.Levels), MemberType = typeof(GemmKernelTests))]
    public void Every_vector_width_draws_the_same_masks(int level)
    {
        foreach (int length in new[] { 0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 300, 25_601 })
        {
            var leveled = Dropout.CreateMaskStream((ulong)length);
            var scalar = Dropout.CreateMaskStream((ulong)length);
            var a = new float[length];
            var b = new float[length];
            Dropout.SampleMask((SimdLevel)level, a, 0.3f, 2f, ref leveled);
            ScalarSample(b, 0.3f, 2f, ref scalar);
            Assert.Equal(b, a);
            Assert.Equal(scalar.State, leveled.State);
        }
    }

    [Fact]
    public void Consecutive_masks_continue_the_same_stream()
    {
        var vector = Dropout.CreateMaskStream(5);
        var scalar = Dropout.CreateMaskStream(5);
        foreach (int length in new[] { 33, 16, 1, 200, 7 })
        {
            var a = new float[length];
            var b = new float[length];
            Dropout.SampleMask(a, 0.5f, 1f, ref vector);
            ScalarSample(b, 0.5f, 1f, ref scalar);
            Assert.Equal(b, a);
        }
        Assert.Equal(scalar.State, vector.State);
    }

    private static void AssertSameAsScalar(int length, float keep, float kept, ulong seed)
    {
        var vector = Dropout.CreateMaskStream(seed);
        var scalar = Dropout.CreateMaskStream(seed);
        var a = new float[length];
        var b = new float[length];
        Dropout.SampleMask(a, keep, kept, ref vector);
        ScalarSample(b, keep, kept, ref scalar);
        Assert.Equal(b, a);
        Assert.Equal(scalar.State, vector.State);
    }

    /// <summary>The sampler as first written: one output per two elements, low half first.</summary>
    private static void ScalarSample(float[] mask, float keepProbability, float keptValue, ref SplitMix64 rng)
    {
        ulong threshold = (ulong)System.Math.Round(keepProbability * 4294967296.0);
        int i = 0;
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong bits = rng.NextUInt64();
            mask[i] = (bits & 0xFFFF_FFFFUL) < threshold ? keptValue : 0f;
            mask[i + 1] = (bits >> 32) < threshold ? keptValue : 0f;
        }
        if (i < mask.Length)
            mask[i] = (rng.NextUInt64() & 0xFFFF_FFFFUL) < threshold ? keptValue : 0f;
    }
}
