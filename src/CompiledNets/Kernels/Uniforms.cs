using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>
/// Uniforms in (0, 1) from the mask stream, the raw material of the relaxed (concrete) and Gaussian samplers: two per
/// 64-bit output, its low then high 32-bit half h mapped to <c>((h &gt;&gt; 9) + 0.5) / 2²³</c> (exactly representable),
/// so the stream advances by one output per two elements, rounded up, as
/// <see cref="Dropout.SampleMask(Span{float}, float, float, ref SplitMix64)"/> does, and the values are the same bits at
/// every vector width.
/// </summary>
internal static class Uniforms
{
    /// <summary>Fills <paramref name="u"/> (whole vectors of outputs at a time, then one by one).</summary>
    public static void Sample(SimdLevel level, Span<float> u, ref SplitMix64 rng)
    {
        int i = level switch
        {
            SimdLevel.Vector512 => CounterSampler<Vector512<ulong>, CounterLanes512>.Run(u, default(UniformWriter<Vector512<ulong>, CounterLanes512>), ref rng),
            SimdLevel.Vector256 => CounterSampler<Vector256<ulong>, CounterLanes256>.Run(u, default(UniformWriter<Vector256<ulong>, CounterLanes256>), ref rng),
            SimdLevel.Vector128 => CounterSampler<Vector128<ulong>, CounterLanes128>.Run(u, default(UniformWriter<Vector128<ulong>, CounterLanes128>), ref rng),
            _ => 0,
        };
        for (; i + 1 < u.Length; i += 2)
        {
            ulong bits = rng.NextUInt64();
            u[i] = Uniform((uint)bits);
            u[i + 1] = Uniform((uint)(bits >> 32));
        }
        if (i < u.Length)
            u[i] = Uniform((uint)rng.NextUInt64());
    }

    /// <summary>((h &gt;&gt; 9) + 0.5) / 2²³: every step exact in float, as in the vector lanes.</summary>
    private static float Uniform(uint half) => ((int)(half >> 9) + 0.5f) * (1f / 8388608f);

    private readonly struct UniformWriter<TU, TC> : ILaneWriter<TU> where TU : unmanaged where TC : ICounterLanes<TU>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ref float destination, int index, TU bits) => TC.StoreUniform(ref destination, index, bits);
    }
}
