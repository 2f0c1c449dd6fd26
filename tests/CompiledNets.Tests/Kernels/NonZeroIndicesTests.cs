using System;
using System.Runtime.Intrinsics;
using CompiledNets.Kernels;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// <see cref="ISimd{TV}.AppendNonZeroIndices"/> at each width this machine accelerates, for every lane mask of 4 and 8
/// lanes and random ones of 16: the indices (plus the offset) of the lanes whose bit pattern is not +0, in order (−0 and
/// NaN count), and their number. The sparse products' row lists and the convolution's scatter are built from it.
/// </summary>
public unsafe class NonZeroIndicesTests
{
    private static readonly float[] s_nonZero = [1f, -0f, float.NaN, -2.5f, float.Epsilon];

    [Fact]
    public void Each_width_lists_the_lanes_that_are_not_positive_zero_in_order()
    {
        if (Vector128.IsHardwareAccelerated) Check<Vector128<float>, Simd128>(16, 4, v => Vector128.Create(v));
        if (Simd.IsSupported(SimdLevel.Vector256)) Check<Vector256<float>, Simd256>(256, 8, v => Vector256.Create(v));
        if (Simd.IsSupported(SimdLevel.Vector512))
        {
            var rng = new Random(3);
            for (int i = 0; i < 2000; i++) Check<Vector512<float>, Simd512>(1, 16, v => Vector512.Create(v), rng.Next(1 << 16));
            Check<Vector512<float>, Simd512>(1, 16, v => Vector512.Create(v), 0xFFFF);
            Check<Vector512<float>, Simd512>(1, 16, v => Vector512.Create(v), 0);
        }
    }

    private static void Check<TV, TS>(int masks, int width, Func<float[], TV> create, int only = -1) where TV : unmanaged where TS : ISimd<TV>
    {
        int* list = stackalloc int[32];
        for (int m = 0; m < masks; m++)
        {
            int mask = only >= 0 ? only : m;
            var lanes = new float[width];
            for (int i = 0; i < width; i++) lanes[i] = (mask >> i & 1) != 0 ? s_nonZero[(i + mask) % s_nonZero.Length] : 0f;
            for (int i = 0; i < 32; i++) list[i] = -1;
            int count = TS.AppendNonZeroIndices(create(lanes), 100, list);
            int expected = 0;
            for (int i = 0; i < width; i++)
                if ((mask >> i & 1) != 0) Assert.Equal(100 + i, list[expected++]);
            Assert.Equal(expected, count);
            Assert.Equal(mask, (int)TS.NonZeroLanes(create(lanes)));
            for (int i = width; i < 32; i++) Assert.Equal(-1, list[i]);
        }
    }
}
