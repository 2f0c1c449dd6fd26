using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// The patch matrices of a convolution (any stride and padding): unfolding an example's windows into rows or columns
/// (im2col), and folding gradients of them back onto the input (col2im).
/// </summary>
internal static unsafe class Conv2DPatches
{
    /// <summary>
    /// The patch matrix of one example, [C·k·k, OH·OW]: row (c, ky, kx), column (oy, ox) holds the input at
    /// (c, oy·s − padTop + ky, ox·s − padLeft + kx), or 0 outside it.
    /// </summary>
    public static void Im2Col<TO>(float* patches, float* x, in Conv2DGeometry g) where TO : IImageOps =>
        Walk<TO, Unfold>(patches, x, g);

    /// <summary>
    /// The transposed patch matrix of one example, [OH·OW, C·k·k]: row (oy, ox) holds its window, (c, ky, kx) in order,
    /// 0 outside the input.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Im2Row<TO>(float* rows, float* x, in Conv2DGeometry g) where TO : IImageOps
    {
        int k = g.KernelSize, s = g.Stride, h = g.Height, w = g.Width, oh = g.OutHeight, ow = g.OutWidth, patch = g.PatchSize;
        for (int oy = 0; oy < oh; oy++)
        {
            int iy0 = oy * s - g.PadTop;
            for (int ox = 0; ox < ow; ox++)
            {
                float* row = rows + (long)(oy * ow + ox) * patch;
                int ix0 = ox * s - g.PadLeft;
                int lo = Math.Max(0, -ix0), hi = Math.Min(k, w - ix0);
                for (int c = 0; c < g.Channels; c++)
                {
                    float* plane = x + (long)c * h * w;
                    for (int ky = 0; ky < k; ky++, row += k)
                    {
                        int iy = iy0 + ky;
                        if ((uint)iy >= (uint)h)
                        {
                            TO.Clear(row, k);
                            continue;
                        }
                        if (lo == 0 && hi == k)
                        {
                            TO.Copy(row, plane + iy * w + ix0, k);
                            continue;
                        }
                        TO.Clear(row, lo);
                        TO.Copy(row + lo, plane + iy * w + ix0 + lo, hi - lo);
                        TO.Clear(row + hi, k - hi);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Folds one example's patch gradients [C·k·k, OH·OW] back onto its input gradient [C, H, W] (cleared first), adding
    /// where windows overlap; the padding's share is dropped.
    /// </summary>
    public static void Col2Im<TO>(float* dx, float* dPatches, in Conv2DGeometry g) where TO : IImageOps
    {
        TO.Clear(dx, g.InputSize);
        Walk<TO, Fold>(dPatches, dx, g);
    }

    /// <summary>
    /// Visits every row segment that a patch matrix [C·k·k, OH·OW] shares with its image [C, H, W]: for each weight
    /// (c, ky, kx) and output row oy, the patch row's columns [lo, hi) are the image's row <c>oy·s − padTop + ky</c> from
    /// column <c>lo·s − padLeft + kx</c> on, every s-th value; the image row is null when it is in the padding.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Walk<TO, TM>(float* patches, float* image, in Conv2DGeometry g) where TO : IImageOps where TM : IMove
    {
        int k = g.KernelSize, s = g.Stride, h = g.Height, w = g.Width, oh = g.OutHeight, ow = g.OutWidth;
        float* row = patches;
        for (int c = 0; c < g.Channels; c++)
        {
            float* plane = image + (long)c * h * w;
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++)
                {
                    (int lo, int hi) = Inside(kx - g.PadLeft, s, w, ow);
                    for (int oy = 0; oy < oh; oy++, row += ow)
                    {
                        int iy = oy * s - g.PadTop + ky;
                        float* source = (uint)iy < (uint)h ? plane + iy * w + lo * s + kx - g.PadLeft : null;
                        TM.Row<TO>(row, source, lo, hi, ow, s);
                    }
                }
            }
        }
    }

    /// <summary>What <see cref="Walk{TO, TM}"/> does with each pair of rows.</summary>
    private interface IMove
    {
        static abstract void Row<TO>(float* patchRow, float* image, int lo, int hi, int outWidth, int stride) where TO : IImageOps;
    }

    /// <summary>im2col: the patch row gets the image's values, zeros outside them.</summary>
    private readonly struct Unfold : IMove
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Row<TO>(float* patchRow, float* image, int lo, int hi, int outWidth, int stride) where TO : IImageOps
        {
            if (image == null)
            {
                TO.Clear(patchRow, outWidth);
                return;
            }
            TO.Clear(patchRow, lo);
            if (stride == 1) TO.Copy(patchRow + lo, image, hi - lo);
            else
                for (int t = 0; t < hi - lo; t++) patchRow[lo + t] = image[t * stride];
            TO.Clear(patchRow + hi, outWidth - hi);
        }
    }

    /// <summary>col2im: the image's values get the patch row's added.</summary>
    private readonly struct Fold : IMove
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Row<TO>(float* patchRow, float* image, int lo, int hi, int outWidth, int stride) where TO : IImageOps
        {
            if (image == null) return;
            if (stride == 1) TO.Add(image, patchRow + lo, hi - lo);
            else
                for (int t = 0; t < hi - lo; t++) image[t * stride] += patchRow[lo + t];
        }
    }

    /// <summary>
    /// The output columns [lo, hi) whose input column <c>ox · stride + offset</c> is inside [0, width), for an output of
    /// <paramref name="outWidth"/> columns; <c>lo == hi</c> when there is none.
    /// </summary>
    private static (int Lo, int Hi) Inside(int offset, int stride, int width, int outWidth)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = width - 1 - offset; // ox · stride ≤ last
        int hi = last < 0 ? 0 : Math.Min(outWidth, last / stride + 1);
        lo = Math.Min(lo, outWidth);
        return (lo, Math.Max(lo, hi));
    }
}
