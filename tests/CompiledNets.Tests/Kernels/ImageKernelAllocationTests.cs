using System;
using CompiledNets.Kernels;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// The image kernels allocate nothing once warmed up (their scratch buffers are allocated once per thread): each method
/// of <see cref="Conv2D"/> (on the grid with and without padding, through patch matrices, with a non-finite input), with
/// one and two threads, <see cref="MaxPool2D"/> and <see cref="SpatialDropout"/>. Run alone, as the networks' allocation
/// tests are, so that other tests' compilation does not keep the runtime's tiering busy.
/// </summary>
[Collection(nameof(AllocationCollection))]
public class ImageKernelAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Convolution_pooling_and_spatial_dropout_allocate_nothing_after_warm_up(int threads)
    {
        const int batch = 16;
        Conv2DGeometry[] geometries =
        [
            Conv2DGeometry.Valid(1, 28, 28, 6, 5),    // grid, in place
            Conv2DGeometry.Valid(6, 12, 12, 16, 5),
            Conv2DGeometry.Same(4, 14, 14, 8, 3),     // grid, padded
            Conv2DGeometry.Same(4, 14, 14, 8, 3, 2),  // patch matrices
            Conv2DGeometry.Valid(3, 9, 9, 5, 1),      // pointwise
        ];
        var buffers = new (float[] X, float[] W, float[] B, float[] Y, float[] Dy, float[] Dx, float[] Dw, float[] Db)[geometries.Length];
        for (int i = 0; i < geometries.Length; i++)
        {
            Conv2DGeometry g = geometries[i];
            buffers[i] = (Filled(batch * g.InputSize, 0.5f), Filled(g.WeightCount, 0.25f), new float[g.Filters], new float[batch * g.OutputSize],
                Filled(batch * g.OutputSize, 0.125f), new float[batch * g.InputSize], new float[g.WeightCount], new float[g.Filters]);
        }
        float[] nonFinite = Filled(batch * geometries[1].InputSize, 1f);
        nonFinite[3] = float.NaN;
        var pooled = new float[batch * 6 * 12 * 12];
        var argmax = new int[pooled.Length];
        var mask = Filled(batch * 6, 2f);

        void Step()
        {
            for (int i = 0; i < geometries.Length; i++)
            {
                var (x, w, b, y, dy, dx, dw, db) = buffers[i];
                Conv2D.Forward(y, x, w, b, batch, geometries[i], Activation.ReLU, threads);
                Conv2D.BackwardParameters(dw, db, dy, x, batch, geometries[i], threads);
                Conv2D.BackwardInput(dx, dy, w, batch, geometries[i], threads);
            }
            Conv2D.BackwardParameters(buffers[1].Dw, buffers[1].Db, buffers[1].Dy, nonFinite, batch, geometries[1], threads);
            float[] conv1 = buffers[0].Y;
            MaxPool2D.Forward(pooled, argmax, conv1, batch, 6, 24, 24, 2, 2, 12, 12);
            MaxPool2D.Forward(pooled.AsSpan(0, batch * 6 * 11 * 11), argmax, conv1, batch, 6, 24, 24, 3, 2, 11, 11);
            MaxPool2D.Backward(buffers[0].Dy, pooled, argmax, batch, 6, 24, 24, 11, 11);
            SpatialDropout.Apply(pooled, pooled, mask, batch, 6, 144);
        }

        ZeroAllocationTests.WarmUp(Step);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static float[] Filled(int count, float value)
    {
        var values = new float[count];
        Array.Fill(values, value);
        return values;
    }
}
