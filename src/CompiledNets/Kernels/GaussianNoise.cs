using System;
using System.Numerics.Tensors;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>
/// Normal samples from the counter-based mask stream, for the Gaussian members of the dropout family: Gaussian dropout's
/// multiplicative noise ε ~ N(1, rate / (1 − rate)) and Gaussian noise's additive N(0, σ²).
/// </summary>
public static class GaussianNoise
{
    /// <summary>Pairs transformed at a time: the two scratch chunks live on the stack (2 KiB), so sampling allocates nothing.</summary>
    private const int Chunk = 256;

    /// <summary>
    /// Fills <paramref name="destination"/> with independent samples of N(<paramref name="mean"/>, <paramref name="stdDev"/>²)
    /// by the Box–Muller transform. Each 64-bit output of the stream gives one pair of uniforms (its low and high 32-bit
    /// halves, each mapped to the open interval (0, 1)) and so two normals, <c>r·cos θ</c> and <c>r·sin θ</c>; within each
    /// block of up to 512 elements the cosines come first and the sines after them. The stream advances by one output per
    /// two elements, rounded up, as <see cref="Dropout.SampleMask(Span{float}, float, float, ref SplitMix64)"/> does.
    /// </summary>
    /// <remarks>
    /// The logarithm, square root, sine and cosine are <see cref="TensorPrimitives"/>' vectorized ones (every vector width
    /// the machine has, scalar tail included); the uniforms are drawn one output at a time.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is negative or not finite, or <paramref name="mean"/> is not finite.</exception>
    public static void Sample(Span<float> destination, float mean, float stdDev, ref SplitMix64 rng)
    {
        if (!(stdDev >= 0f && float.IsFinite(stdDev)))
            throw new ArgumentOutOfRangeException(nameof(stdDev), stdDev, "Must be finite and not negative.");
        if (!float.IsFinite(mean))
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "Must be finite.");
        Span<float> radius = stackalloc float[Chunk];
        Span<float> angle = stackalloc float[Chunk];
        const double ToUnit = 1.0 / 4294967296.0;
        for (int start = 0; start < destination.Length; start += 2 * Chunk)
        {
            int count = Math.Min(2 * Chunk, destination.Length - start);
            int pairs = (count + 1) / 2;
            Span<float> r = radius.Slice(0, pairs), theta = angle.Slice(0, pairs);
            for (int j = 0; j < pairs; j++)
            {
                ulong bits = rng.NextUInt64();
                // (k + 0.5) / 2³² for a 32-bit k: in (0, 1), so the logarithm is finite; rounded to float it may reach 1 (r = 0).
                r[j] = (float)(((bits & 0xFFFF_FFFFUL) + 0.5) * ToUnit);
                theta[j] = (float)(((bits >> 32) + 0.5) * ToUnit);
            }
            TensorPrimitives.Log(r, r);
            TensorPrimitives.Multiply(r, -2f, r);
            TensorPrimitives.Max(r, 0f, r); // log(1) may round to a tiny positive value: no square root of a negative
            TensorPrimitives.Sqrt(r, r);
            TensorPrimitives.Multiply(theta, 2f * MathF.PI, theta);
            Span<float> cosines = destination.Slice(start, pairs);
            TensorPrimitives.Cos(theta, cosines);
            TensorPrimitives.Multiply(cosines, r, cosines);
            int sines = count - pairs;
            if (sines > 0)
            {
                TensorPrimitives.Sin(theta.Slice(0, sines), theta.Slice(0, sines));
                TensorPrimitives.Multiply(theta.Slice(0, sines), r.Slice(0, sines), destination.Slice(start + pairs, sines));
            }
        }
        if (stdDev != 1f)
            TensorPrimitives.Multiply(destination, stdDev, destination);
        if (mean != 0f)
            TensorPrimitives.Add(destination, mean, destination);
    }
}
