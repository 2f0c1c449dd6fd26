using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// The fold of a stride-1 convolution's input gradient from the product over its output positions themselves (see
/// <see cref="Conv2D"/>'s <c>OutputRows</c> method): row p = (c, ky, kx) of <c>weightsᵀ · dOutput</c>, [C·k·k, OH·OW],
/// holds the gradient of input (c, oy + ky − PadTop, ox + kx − PadLeft) through weight p for each output (oy, ox), and
/// each input position sums the k · k values that reach it.
/// </summary>
internal static unsafe class ConvRowFold
{
    /// <summary>Vectors per input row at <paramref name="width"/> floats per vector.</summary>
    public static int Chunks(in Conv2DGeometry g, int width) => (g.Width + width - 1) / width;

    /// <summary>
    /// The vector loads of one example's fold at <paramref name="width"/> floats per vector (for the choice of method):
    /// per input row, each kernel row that reaches it, each kernel column, each vector of the row it touches.
    /// </summary>
    public static long Loads(in Conv2DGeometry g, int width)
    {
        int chunks = Chunks(g, width), touched = 0;
        for (int kx = 0; kx < g.KernelSize; kx++)
            for (int ci = 0; ci < chunks; ci++)
            {
                int lo = kx - g.PadLeft - ci * width;
                if (lo < width && lo + g.OutWidth > 0) touched++;
            }
        long rows = 0;
        for (int y = 0; y < g.Height; y++)
        {
            int gy = y + g.PadTop;
            rows += Math.Max(0, Math.Min(g.KernelSize - 1, gy) - Math.Max(0, gy - g.OutHeight + 1) + 1);
        }
        return g.Channels * rows * touched;
    }
}

/// <summary>
/// <see cref="ConvRowFold"/> in vectors: each vector of an input row sums, for each kernel column and each kernel row that
/// reaches it, a vector of the product row of that weight read from the output row below it, shifted by the column; the
/// lanes whose output column is outside [0, OutWidth) are cleared with a mask (so no value is computed past the outputs,
/// and whatever they read does not matter). Plain loads and a bitwise and, the same at every width (masked loads cost
/// several times a load on AMD's AVX2). Rows are written in order in whole vectors, each one's last vector overwritten by
/// the next row's first, and the example's end through a mask.
/// </summary>
internal static unsafe class ConvRowFold<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    /// <summary>Floats of the masks <see cref="Fold"/> reads: [k, chunks, width].</summary>
    public static int MaskLength(in Conv2DGeometry g) => g.KernelSize * ConvRowFold.Chunks(g, TS.Width) * TS.Width;

    /// <summary>
    /// Floats of room the product needs before its start (<see cref="ProductMargin"/>) and after its end
    /// (<see cref="ProductMargin"/> + the input width) for the fold's vector reads: the lanes outside the outputs read there.
    /// </summary>
    public static int ProductMargin(in Conv2DGeometry g) => g.KernelSize + g.PadLeft + 2 * TS.Width;

    /// <summary>Mask (kx, chunk): lane i set when output column <c>chunk · width + i + PadLeft − kx</c> is outside [0, OutWidth) (the lanes to clear).</summary>
    public static void PrepareMasks(float* masks, in Conv2DGeometry g)
    {
        int w = TS.Width, chunks = ConvRowFold.Chunks(g, w);
        for (int kx = 0; kx < g.KernelSize; kx++)
            for (int ci = 0; ci < chunks; ci++)
            {
                int lo = kx - g.PadLeft - ci * w;
                TV inside = TS.AndNot(TS.FirstLanes(lo + g.OutWidth), TS.FirstLanes(lo));
                TS.Store(masks + (kx * chunks + ci) * w, TS.AndNot(TS.FirstLanes(w), inside));
            }
    }

    /// <summary>
    /// One example's input gradient [C, H, W] from the product [C·k·k, OH·OW], readable <see cref="ProductMargin"/>
    /// floats before its start and that plus the input width after its end.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Fold(float* dx, float* product, float* masks, in Conv2DGeometry g)
    {
        int w = TS.Width, k = g.KernelSize, oh = g.OutHeight, ow = g.OutWidth, width = g.Width, padLeft = g.PadLeft;
        int chunks = ConvRowFold.Chunks(g, w);
        nint n = oh * ow, kernelRow = k * n;
        float* end = dx + g.InputSize;
        float* target = dx;
        for (int c = 0; c < g.Channels; c++)
        {
            float* channel = product + c * k * kernelRow;
            for (int y = 0; y < g.Height; y++, target += width)
            {
                int gy = y + g.PadTop;
                int kyFirst = Math.Max(0, gy - oh + 1), kyLast = Math.Min(k - 1, gy);
                // Kernel row ky reads output row gy − ky, in product rows (c, ky, ·).
                float* rows = channel + kyFirst * (kernelRow - ow) + gy * ow + padLeft;
                // Two vectors of the row at a time, a row's odd last vector alone, each summed in four parts (even and odd
                // kernel rows and columns): eight or four independent sums (with fewer, the adds wait on each other).
                int ci = 0;
                for (; ci + 1 < chunks; ci += 2)
                {
                    int x0 = ci * w;
                    TV a0 = TS.Zero, b0 = TS.Zero, c0 = TS.Zero, d0 = TS.Zero, a1 = TS.Zero, b1 = TS.Zero, c1 = TS.Zero, d1 = TS.Zero;
                    int kx = 0;
                    for (; kx + 1 < k; kx += 2)
                    {
                        float* row = rows + x0 + kx * (n - 1);
                        float* mask = masks + (kx * chunks + ci) * w;
                        Terms(row, TS.Load(mask), kyFirst, kyLast, kernelRow - ow, ref a0, ref b0);
                        Terms(row + w, TS.Load(mask + w), kyFirst, kyLast, kernelRow - ow, ref a1, ref b1);
                        row += n - 1;
                        mask += chunks * w;
                        Terms(row, TS.Load(mask), kyFirst, kyLast, kernelRow - ow, ref c0, ref d0);
                        Terms(row + w, TS.Load(mask + w), kyFirst, kyLast, kernelRow - ow, ref c1, ref d1);
                    }
                    if (kx < k)
                    {
                        float* row = rows + x0 + kx * (n - 1);
                        float* mask = masks + (kx * chunks + ci) * w;
                        Terms(row, TS.Load(mask), kyFirst, kyLast, kernelRow - ow, ref a0, ref b0);
                        Terms(row + w, TS.Load(mask + w), kyFirst, kyLast, kernelRow - ow, ref a1, ref b1);
                    }
                    Store(target + x0, TS.Add(TS.Add(a0, b0), TS.Add(c0, d0)), end);
                    Store(target + x0 + w, TS.Add(TS.Add(a1, b1), TS.Add(c1, d1)), end);
                }
                if (ci < chunks)
                {
                    int x0 = ci * w;
                    TV a0 = TS.Zero, b0 = TS.Zero, a1 = TS.Zero, b1 = TS.Zero;
                    for (int kx = 0; kx < k; kx++)
                    {
                        float* row = rows + x0 + kx * (n - 1);
                        TV clear = TS.Load(masks + (kx * chunks + ci) * w);
                        if ((kx & 1) == 0) Terms(row, clear, kyFirst, kyLast, kernelRow - ow, ref a0, ref b0);
                        else Terms(row, clear, kyFirst, kyLast, kernelRow - ow, ref a1, ref b1);
                    }
                    Store(target + x0, TS.Add(TS.Add(a0, b0), TS.Add(a1, b1)), end);
                }
            }
        }
    }

    /// <summary>
    /// The terms of one kernel column for a vector of an input row: kernel rows <paramref name="first"/> to
    /// <paramref name="last"/>, read from <paramref name="row"/> on, <paramref name="step"/> apart, the lanes
    /// <paramref name="clear"/> cleared; even rows into <paramref name="a"/>, odd ones into <paramref name="b"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Terms(float* row, TV clear, int first, int last, nint step, ref TV a, ref TV b)
    {
        int ky = first;
        for (; ky < last; ky += 2, row += 2 * step)
        {
            a = TS.Add(a, TS.AndNot(TS.Load(row), clear));
            b = TS.Add(b, TS.AndNot(TS.Load(row + step), clear));
        }
        if (ky == last) a = TS.Add(a, TS.AndNot(TS.Load(row), clear));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* d, TV v, float* end)
    {
        if (d + TS.Width <= end) TS.Store(d, v);
        else TS.StoreMasked(d, v, TS.FirstLanes((int)(end - d)));
    }
}
