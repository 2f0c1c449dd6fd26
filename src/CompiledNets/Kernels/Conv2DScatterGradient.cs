using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// A stride-1 convolution's input gradient for one example whose output gradient is mostly zeros — as after a max
/// pooling, which passes one value per window (and spatial dropout and the ReLU clear more): each non-zero output
/// gradient <c>g = dOutput[f, oy, ox]</c> adds <c>g · weights[f, c, ky, ·]</c> to input row <c>(c, oy + ky)</c> from
/// column <c>ox</c> on. Per output position, the sums over its non-zero filters are kept in vector registers (one per
/// kernel row: its k weights in the first lanes of a vector, zeros after) and added to the input rows once per
/// position and channel; the rows live in a grid of the padded input wide enough for a whole vector from any output
/// column, then cropped into place. LeNet's conv2 after pooling: 115–200 non-zero gradients of 1,024 per example (115 in
/// a training step at initialization), so 3,500–6,000 multiply-adds and 1,900 row updates against 19,200 multiply-adds
/// (and the fold) for the whole product.
/// </summary>
internal static unsafe class ConvScatterGradient
{
    /// <summary>Columns per row of the grid the gradient is added into: a vector from the last output column fits.</summary>
    public static int RowStride(in Conv2DGeometry g, int width) => Math.Max(g.OutWidth + g.KernelSize - 1, g.OutWidth + width - 1);

    /// <summary>Rows of that grid (the padded input's rows that the windows reach).</summary>
    public static int GridRows(in Conv2DGeometry g) => g.OutHeight + g.KernelSize - 1;

    /// <summary>Filters rounded up to whole vectors: the row length of the transposed output gradient.</summary>
    public static int FilterStride(in Conv2DGeometry g, int width) => (g.Filters + width - 1) / width * width;

    /// <summary>Floats of the grid, with a vector of room past its end.</summary>
    public static long GridLength(in Conv2DGeometry g, int width) => (long)g.Channels * GridRows(g) * RowStride(g, width) + width;

    /// <summary>
    /// Whether the scatter costs less than the product and fold (with vectors of <paramref name="productWidth"/> floats)
    /// for <paramref name="nonZeros"/> non-zero gradients: one vector multiply-add per non-zero gradient and kernel row,
    /// and a row update (about two multiply-adds' worth: a load, an add and a store) per output position and kernel row,
    /// against k · F multiply-adds per vector of output positions and kernel row for the product. With AVX2 the two
    /// took the same time per operation counted so (LeNet's conv2 at batch 128: 229 µs scattered, 452 µs as the product
    /// for about half the operations); the 512-bit product took half again as long per operation (320 µs), so its
    /// operations count 3/2.
    /// </summary>
    public static bool Cheaper(long nonZeros, in Conv2DGeometry g, int productWidth)
    {
        int positions = g.OutputPlaneSize;
        long scatter = nonZeros + 2L * positions, product = (long)g.KernelSize * g.Filters * ((positions + productWidth - 1) / productWidth);
        return productWidth >= 16 ? 2 * scatter < 3 * product : scatter < product;
    }
}

/// <summary>One example for <see cref="ConvScatterGradient{TV, TS}"/>, with the buffers of the calling thread.</summary>
internal unsafe struct ScatterGradientJob
{
    /// <summary>[C, H, W]: the example's input gradient, overwritten (only when the scatter is taken).</summary>
    public float* Dx;
    /// <summary>[F, OH·OW]: the example's output gradient.</summary>
    public float* Dy;
    /// <summary>[F, C, k, vector]: the kernel rows, each in the first k lanes of a vector (<see cref="ConvScatterGradient{TV, TS}.PrepareWeights"/>).</summary>
    public float* Rows;
    /// <summary>[OH·OW, filter stride]: scratch for the transposed output gradient, its lanes past the filters zero.</summary>
    public float* Transposed;
    /// <summary>Scratch of OH·OW · filter stride + a vector of ints: the non-zero filters of each position, in order.</summary>
    public int* Filters;
    /// <summary>Scratch of OH·OW ints: how many filters each position has.</summary>
    public int* Counts;
    /// <summary>Scratch of <see cref="ConvScatterGradient.GridLength"/> floats.</summary>
    public float* Grid;
    public Conv2DGeometry Geometry;
    /// <summary>Floats per vector of the product the scatter stands in for (for <see cref="ConvScatterGradient.Cheaper"/>).</summary>
    public int ProductWidth;
}

/// <summary>
/// <see cref="ConvScatterGradient"/> in vectors: 256-bit ones at the 512-bit level too (a kernel row is at most 8 values,
/// and each row update of a 64-byte vector nearly always spans two cache lines: LeNet's conv2 took 355 µs so, against
/// 229 µs with 256-bit vectors on the same machine).
/// </summary>
internal static unsafe class ConvScatterGradient<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    /// <summary>Stride 1 and kernel rows that fit in a vector (and in registers: at most 8).</summary>
    public static bool Applies(in Conv2DGeometry g) => g.Stride == 1 && g.KernelSize <= Math.Min(TS.Width, 8);

    /// <summary>Floats of the prepared kernel rows.</summary>
    public static long RowsLength(in Conv2DGeometry g) => (long)g.Filters * g.Channels * g.KernelSize * TS.Width;

    /// <summary>Kernel row (f, c, ky) of <paramref name="weights"/> [F, C, k, k] in the first k lanes of vector (f, c, ky) of <paramref name="rows"/>, zeros after.</summary>
    public static void PrepareWeights(float* rows, float* weights, in Conv2DGeometry g)
    {
        int w = TS.Width, k = g.KernelSize;
        long count = (long)g.Filters * g.Channels * k;
        for (long r = 0; r < count; r++)
            for (int lane = 0; lane < w; lane++) rows[r * w + lane] = lane < k ? weights[r * k + lane] : 0f;
    }

    /// <summary>
    /// The example's input gradient by scattering, when its output gradient is finite and sparse enough
    /// (<see cref="ConvScatterGradient.Cheaper"/>); otherwise false, with nothing written to <see cref="ScatterGradientJob.Dx"/>.
    /// The weights must be finite (the caller checks): a left-out zero gradient would hide 0 · ∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static bool Run(in ScatterGradientJob job)
    {
        Conv2DGeometry g = job.Geometry;
        int w = TS.Width, positions = g.OutputPlaneSize, stride = ConvScatterGradient.FilterStride(g, w);
        float* transposed = job.Transposed;
        Transpose.Run(job.Dy, positions, transposed, stride, g.Filters, positions);
        // Each position's non-zero filters (a bit pattern that is not +0: NaN and -0 count), and whether all are finite
        // (x − x is 0 exactly then, NaN otherwise): an infinite gradient times the zero lanes past the kernel row would
        // add NaN to input columns its window does not reach.
        TV nonFinite = TS.Zero;
        int* filters = job.Filters;
        int total = 0;
        for (int j = 0; j < positions; j++)
        {
            float* row = transposed + (long)j * stride;
            int count = 0;
            for (int v = 0; v < stride; v += w)
            {
                TV x = TS.Load(row + v);
                nonFinite = TS.Or(nonFinite, TS.Subtract(x, x));
                count += TS.AppendNonZeroIndices(x, v, filters + total + count);
            }
            job.Counts[j] = count;
            total += count;
        }
        if (TS.NonZeroLanes(nonFinite) != 0 || !ConvScatterGradient.Cheaper(total, g, job.ProductWidth)) return false;
        int rowStride = ConvScatterGradient.RowStride(g, w), gridRows = ConvScatterGradient.GridRows(g);
        new Span<float>(job.Grid, (int)ConvScatterGradient.GridLength(g, w)).Clear();
        var scatter = new Scatter { Job = job, RowStride = rowStride, PlaneStride = (nint)gridRows * rowStride };
        Counts.Run(g.KernelSize, ref scatter);
        var shape = new GridShape(g);
        Conv2DGrid.Crop<VectorImageOps<TV, TS>>(job.Dx, job.Grid, g, shape.Height, rowStride);
        return true;
    }

    private struct Scatter : ICounted
    {
        public ScatterGradientJob Job;
        public nint RowStride, PlaneStride;

        public void Run<TK>() where TK : ICount => Positions<TK>(Job, RowStride, PlaneStride);
    }

    /// <summary>Every position's non-zero gradients into the grid, position by position, channel by channel.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Positions<TK>(in ScatterGradientJob job, nint rowStride, nint planeStride) where TK : ICount
    {
        Conv2DGeometry g = job.Geometry;
        int w = TS.Width, outWidth = g.OutWidth, channels = g.Channels, stride = ConvScatterGradient.FilterStride(g, w);
        nint filterRows = (nint)channels * TK.Value * w, channelRows = TK.Value * w;
        int* filters = job.Filters;
        for (int j = 0, oy = 0, ox = 0; j < g.OutputPlaneSize; j++)
        {
            int count = job.Counts[j];
            if (count > 0)
            {
                float* gradients = job.Transposed + (long)j * stride;
                float* window = job.Grid + oy * rowStride + ox;
                for (int c = 0; c < channels; c++)
                {
                    TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
                    float* rows = job.Rows + c * channelRows;
                    for (int i = 0; i < count; i++)
                    {
                        int f = filters[i];
                        TV gradient = TS.Broadcast(gradients + f);
                        float* r = rows + f * filterRows;
                        a0 = TS.MultiplyAdd(gradient, TS.Load(r), a0);
                        if (TK.Value > 1) a1 = TS.MultiplyAdd(gradient, TS.Load(r + w), a1);
                        if (TK.Value > 2) a2 = TS.MultiplyAdd(gradient, TS.Load(r + 2 * w), a2);
                        if (TK.Value > 3) a3 = TS.MultiplyAdd(gradient, TS.Load(r + 3 * w), a3);
                        if (TK.Value > 4) a4 = TS.MultiplyAdd(gradient, TS.Load(r + 4 * w), a4);
                        if (TK.Value > 5) a5 = TS.MultiplyAdd(gradient, TS.Load(r + 5 * w), a5);
                        if (TK.Value > 6) a6 = TS.MultiplyAdd(gradient, TS.Load(r + 6 * w), a6);
                        if (TK.Value > 7) a7 = TS.MultiplyAdd(gradient, TS.Load(r + 7 * w), a7);
                    }
                    float* target = window + c * planeStride;
                    AddTo(target, a0);
                    if (TK.Value > 1) AddTo(target + rowStride, a1);
                    if (TK.Value > 2) AddTo(target + 2 * rowStride, a2);
                    if (TK.Value > 3) AddTo(target + 3 * rowStride, a3);
                    if (TK.Value > 4) AddTo(target + 4 * rowStride, a4);
                    if (TK.Value > 5) AddTo(target + 5 * rowStride, a5);
                    if (TK.Value > 6) AddTo(target + 6 * rowStride, a6);
                    if (TK.Value > 7) AddTo(target + 7 * rowStride, a7);
                }
                filters += count;
            }
            if (++ox == outWidth) (ox, oy) = (0, oy + 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(float* row, TV sum) => TS.Store(row, TS.Add(TS.Load(row), sum));
}
