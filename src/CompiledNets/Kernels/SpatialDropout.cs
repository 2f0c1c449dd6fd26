using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Kernels;

/// <summary>
/// Spatial dropout (Tompson et al. 2015; PyTorch's <c>Dropout2d</c>, Keras' <c>SpatialDropout2D</c>): whole channels of an
/// NCHW tensor are kept or dropped together, one mask value per example and channel. The mask is sampled by
/// <see cref="Dropout.SampleMask(Span{float}, float, float, ref CompiledNets.Randomness.SplitMix64)"/> over the <c>[batch · channels]</c> span (the kept value is 1, or 1 / p for inverted
/// dropout), and the same <see cref="Apply(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int)"/> serves the forward pass (on activations) and the backward pass (on
/// their gradients).
/// </summary>
public static unsafe class SpatialDropout
{
    /// <summary><c>output[b, c, i] = input[b, c, i] · channelMask[b · channels + c]</c>; <paramref name="output"/> may be <paramref name="input"/> itself.</summary>
    /// <param name="output">[batch, channels, channelSize].</param>
    /// <param name="input">[batch, channels, channelSize]: the same span as <paramref name="output"/>, or one that does not overlap it.</param>
    /// <param name="channelMask">[batch, channels].</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="channels">Channels per example.</param>
    /// <param name="channelSize">Values per channel (height · width).</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it), or the two spans overlap without being the same.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 (batch below 0).</exception>
    public static void Apply(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> channelMask, int batch, int channels, int channelSize)
        => Apply(Simd.Level, output, input, channelMask, batch, channels, channelSize);

    /// <summary><see cref="Apply(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int)"/> at a chosen vector level (for tests).</summary>
    internal static void Apply(SimdLevel level, Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> channelMask,
        int batch, int channels, int channelSize)
    {
        KernelArguments.NotNegative(batch, nameof(batch));
        KernelArguments.Positive(channels, nameof(channels));
        KernelArguments.Positive(channelSize, nameof(channelSize));
        long planes = (long)batch * channels, size = planes * channelSize;
        KernelArguments.Length(output.Length, size, nameof(output));
        KernelArguments.Length(input.Length, size, nameof(input));
        KernelArguments.Length(channelMask.Length, planes, nameof(channelMask));
        if (size == 0) return;
        ReadOnlySpan<float> used = input.Slice(0, (int)size);
        Span<float> written = output.Slice(0, (int)size);
        if (used.Overlaps(written, out int offset) && offset != 0)
            throw new ArgumentException("Overlaps the output without being the same span.", nameof(input));
        fixed (float* y = output, x = input, mask = channelMask)
        {
            switch (level)
            {
                case SimdLevel.Vector512: Apply<VectorImageOps<Vector512<float>, Simd512>>(y, x, mask, planes, channelSize); break;
                case SimdLevel.Vector256: Apply<VectorImageOps<Vector256<float>, Simd256>>(y, x, mask, planes, channelSize); break;
                case SimdLevel.Vector128: Apply<VectorImageOps<Vector128<float>, Simd128>>(y, x, mask, planes, channelSize); break;
                default: Apply<ScalarImageOps>(y, x, mask, planes, channelSize); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Apply<TO>(float* y, float* x, float* mask, long planes, int channelSize) where TO : IImageOps
    {
        for (long plane = 0; plane < planes; plane++)
            TO.Multiply(y + plane * channelSize, x + plane * channelSize, channelSize, mask[plane]);
    }
}
