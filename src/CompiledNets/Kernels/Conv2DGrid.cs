using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// A stride-1 convolution seen on the grid of its (padded) input: the input of one example is laid out as
/// [C, <see cref="Height"/>, <see cref="Width"/>] with its zero padding written out, and output position (oy, ox) is
/// numbered <c>j = oy · Width + ox</c>. Then the input under weight (c, ky, kx) at position j is at
/// <c>c · PlaneSize + ky · Width + kx + j</c>: one offset per weight plus j, so the patch matrix is never built — a row of
/// it is the padded input read from that weight's offset. The positions <c>ox ≥ OutWidth</c> of each grid row (the last
/// <c>k − 1</c>) are not outputs; the kernels compute them and drop them, or see to it that they are zero.
/// </summary>
internal readonly struct GridShape
{
    /// <summary>The grid of <paramref name="g"/>, which must have stride 1.</summary>
    public GridShape(in Conv2DGeometry g)
    {
        Height = g.OutHeight + g.KernelSize - 1;
        Width = g.OutWidth + g.KernelSize - 1;
        Positions = (g.OutHeight - 1) * Width + g.OutWidth;
        InPlace = g.PadTop == 0 && g.PadLeft == 0 && Height == g.Height && Width == g.Width;
    }

    /// <summary>Rows of the padded input: exactly those the windows read.</summary>
    public int Height { get; }

    /// <summary>Columns of the padded input.</summary>
    public int Width { get; }

    /// <summary>Grid positions from the first output to the last: <c>(OutHeight − 1) · Width + OutWidth</c>.</summary>
    public int Positions { get; }

    /// <summary>Whether the input is its own padded input (no padding, every row and column read).</summary>
    public bool InPlace { get; }

    /// <summary>Values per channel of the padded input.</summary>
    public int PlaneSize => Height * Width;

    /// <summary>
    /// Whether <paramref name="g"/> can run on its grid: stride 1, and the padded input of an example (with a vector of
    /// slack) fits in an array.
    /// </summary>
    public static bool Applies(in Conv2DGeometry g) =>
        g.Stride == 1 && (long)g.Channels * (g.OutHeight + g.KernelSize - 1) * (g.OutWidth + g.KernelSize - 1) + 64 <= Array.MaxLength;

    /// <summary>The offset of each weight (c, ky, kx), in [C, k, k] order: ascending.</summary>
    public unsafe void Offsets(int* offsets, in Conv2DGeometry g)
    {
        int k = g.KernelSize, p = 0;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    offsets[p++] = c * PlaneSize + ky * Width + kx;
    }

    /// <summary>One more than the largest offset: the columns of a weight matrix laid out by offset.</summary>
    public int OffsetSpan(in Conv2DGeometry g) => (g.Channels - 1) * PlaneSize + (g.KernelSize - 1) * Width + g.KernelSize;
}

/// <summary>The moves between the input and output layouts and their grids (see <see cref="GridShape"/>).</summary>
internal static unsafe class Conv2DGrid
{
    /// <summary>
    /// One example's input [C, H, W] written out padded, [C, grid height, grid width]; it may write zeros up to a vector
    /// past the end (see <see cref="IImageOps.Window"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Pad<TO>(float* padded, float* x, in Conv2DGeometry g, in GridShape grid) where TO : IImageOps
    {
        int h = g.Height, w = g.Width, gw = grid.Width, left = g.PadLeft;
        int hi = Math.Min(gw, left + w);
        float* row = padded;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int gy = 0; gy < grid.Height; gy++, row += gw)
            {
                int y = gy - g.PadTop;
                if ((uint)y >= (uint)h)
                {
                    TO.Clear(row, gw);
                    continue;
                }
                // Rows in order: what one writes past its end, the next one writes over. The input row from column
                // `left` on, read through a mask (nothing is read before it).
                TO.Window(row, x + ((long)c * h + y) * w - left, left, hi, gw);
            }
        }
    }

    /// <summary>The inverse of <see cref="Pad{TO}"/> for a gradient: the input's positions of the padded grid (0 where the grid does not reach).</summary>
    public static void Crop<TO>(float* dx, float* padded, in Conv2DGeometry g, in GridShape grid) where TO : IImageOps =>
        Crop<TO>(dx, padded, g, grid.Height, grid.Width);

    /// <summary>
    /// <see cref="Crop{TO}(float*, float*, in Conv2DGeometry, in GridShape)"/> from a grid of <paramref name="gridHeight"/>
    /// rows of <paramref name="rowStride"/> floats per channel, of which the first <c>OutWidth + k − 1</c> (the padded width) count.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Crop<TO>(float* dx, float* padded, in Conv2DGeometry g, int gridHeight, int rowStride) where TO : IImageOps
    {
        int h = g.Height, w = g.Width, gw = g.OutWidth + g.KernelSize - 1;
        int columns = Math.Min(w, gw - g.PadLeft);
        float* row = dx;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int y = 0; y < h; y++, row += w)
            {
                int gy = y + g.PadTop;
                if (gy >= gridHeight)
                {
                    TO.Clear(row, w);
                    continue;
                }
                TO.Copy(row, padded + ((long)c * gridHeight + gy) * rowStride + g.PadLeft, columns);
                TO.Clear(row + columns, w - columns);
            }
        }
    }

    /// <summary>
    /// One example's output gradient [F, OH·OW] laid out on the grid, [F, <paramref name="rowStride"/>]: zero at the
    /// positions that are not outputs and from <see cref="GridShape.Positions"/> to the end of each row. It may write
    /// zeros up to a vector past the end (see <see cref="IImageOps.Window"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Spread<TO>(float* grid, float* dy, nint rowStride, in Conv2DGeometry g, in GridShape shape) where TO : IImageOps
    {
        int oh = g.OutHeight, ow = g.OutWidth, gw = shape.Width;
        // Rows in order: what one writes past its end, the next one writes over.
        for (int f = 0; f < g.Filters; f++)
        {
            float* row = grid + f * rowStride;
            float* source = dy + (long)f * oh * ow;
            for (int oy = 0; oy < oh - 1; oy++)
                TO.Window(row + oy * gw, source + oy * ow, 0, ow, gw);
            TO.Window(row + (oh - 1) * gw, source + (oh - 1) * ow, 0, ow, (int)(rowStride - (oh - 1) * gw));
        }
    }

    /// <summary>
    /// The outputs of one example out of its grid product [F, Positions], with the bias added and ReLU applied when
    /// <paramref name="relu"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Gather<TO>(float* y, float* grid, float* bias, bool relu, in Conv2DGeometry g, in GridShape shape) where TO : IImageOps
    {
        int oh = g.OutHeight, ow = g.OutWidth, gw = shape.Width;
        for (int f = 0; f < g.Filters; f++)
        {
            float* row = grid + (long)f * shape.Positions;
            float b = bias[f];
            for (int oy = 0; oy < oh; oy++, y += ow)
                TO.CopyAddBias(y, row + oy * gw, ow, b, relu);
        }
    }
}

/// <summary>The weight gradient of a stride-1 convolution over a chunk of examples, on grids (see <see cref="ConvFilterGradient{TV, TS}"/>).</summary>
internal unsafe struct FilterGradientJob
{
    /// <summary>[F, PatchSize]: written, or added to when <see cref="Accumulate"/>.</summary>
    public float* Gradient;
    public bool Accumulate;
    /// <summary>
    /// Example e's output gradient, filter f's at <c>OutputGradient + e · OutputExampleStride + f · RowStride</c>: <see cref="Rows"/>
    /// rows <see cref="OutputRowStride"/> apart of <see cref="RowLength"/> values (a whole number of vectors), zero past the outputs.
    /// On the grid one row of the grid's positions; by output rows, each output row padded to whole vectors.
    /// </summary>
    public float* OutputGradient;
    public nint RowStride, OutputExampleStride;
    public int Rows;
    public nint RowLength, OutputRowStride;
    /// <summary>
    /// Example e's padded input at <c>Input + e · InputExampleStride</c>, row r of the positions <see cref="InputRowStride"/>
    /// further on; readable (and finite) up to offset + (Rows − 1) · InputRowStride + RowLength for every offset.
    /// </summary>
    public float* Input;
    public nint InputExampleStride, InputRowStride;
    public int Examples, Filters, PatchSize;
    /// <summary>[PatchSize]: the grid offset of each weight.</summary>
    public int* Offsets;
}

/// <summary>
/// <c>dW[f, p] = Σ_e Σ_j dOutput_e[f, j] · input_e[offset(p) + j]</c>: for each block of filters (4 with 32 vector
/// registers, 2 with 16) and 5 weights, the products of every pair are summed in vector accumulators over all positions
/// and examples of the chunk (4 + 5 vectors loaded for 20 multiply-adds), and each accumulator's lanes are added (in
/// a fixed order) only once at the end.
/// </summary>
internal static unsafe class ConvFilterGradient<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    private const int Weights = 5;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run(in FilterGradientJob job)
    {
        int widest = TS.Registers >= 32 ? 4 : 2;
        float* sums = stackalloc float[4 * Weights];
        int* offsets = stackalloc int[Weights];
        for (int f = 0; f < job.Filters;)
        {
            int rows = job.Filters - f >= widest ? widest : job.Filters - f >= 2 ? 2 : 1;
            float* dy = job.OutputGradient + f * job.RowStride;
            for (int p = 0; p < job.PatchSize; p += Weights)
            {
                int n = Math.Min(Weights, job.PatchSize - p);
                // A short last block repeats its last weight; those sums are dropped.
                for (int t = 0; t < Weights; t++) offsets[t] = job.Offsets[p + Math.Min(t, n - 1)];
                switch (rows)
                {
                    case 4: Tile<Four>(job, dy, offsets, sums); break;
                    case 2: Tile<Two>(job, dy, offsets, sums); break;
                    default: Tile<One>(job, dy, offsets, sums); break;
                }
                for (int r = 0; r < rows; r++)
                {
                    float* gradient = job.Gradient + (long)(f + r) * job.PatchSize + p;
                    for (int t = 0; t < n; t++)
                        gradient[t] = job.Accumulate ? gradient[t] + sums[r * Weights + t] : sums[r * Weights + t];
                }
            }
            f += rows;
        }
    }

    /// <summary>Filters per tile, as a type so that the unused accumulators of smaller tiles compile away.</summary>
    private interface IRows { static abstract int Count { get; } }
    private readonly struct Four : IRows { public static int Count => 4; }
    private readonly struct Two : IRows { public static int Count => 2; }
    private readonly struct One : IRows { public static int Count => 1; }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TR>(in FilterGradientJob job, float* dy, int* offsets, float* sums) where TR : IRows
    {
        int w = TS.Width;
        nint rs = job.RowStride, end = job.RowLength;
        TV a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero, a04 = TS.Zero;
        TV a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero, a14 = TS.Zero;
        TV a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero, a24 = TS.Zero;
        TV a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero, a34 = TS.Zero;
        for (int e = 0; e < job.Examples; e++)
        for (int r = 0; r < job.Rows; r++)
        {
            float* d = dy + e * job.OutputExampleStride + r * job.OutputRowStride;
            float* x = job.Input + e * job.InputExampleStride + r * job.InputRowStride;
            float* x0 = x + offsets[0], x1 = x + offsets[1], x2 = x + offsets[2], x3 = x + offsets[3], x4 = x + offsets[4];
            for (nint o = 0; o < end; o += w)
            {
                TV d0 = TS.Load(d + o);
                TV d1 = TR.Count >= 2 ? TS.Load(d + rs + o) : TS.Zero;
                TV d2 = TR.Count >= 4 ? TS.Load(d + 2 * rs + o) : TS.Zero;
                TV d3 = TR.Count >= 4 ? TS.Load(d + 3 * rs + o) : TS.Zero;
                Step<TR>(TS.Load(x0 + o), d0, d1, d2, d3, ref a00, ref a10, ref a20, ref a30);
                Step<TR>(TS.Load(x1 + o), d0, d1, d2, d3, ref a01, ref a11, ref a21, ref a31);
                Step<TR>(TS.Load(x2 + o), d0, d1, d2, d3, ref a02, ref a12, ref a22, ref a32);
                Step<TR>(TS.Load(x3 + o), d0, d1, d2, d3, ref a03, ref a13, ref a23, ref a33);
                Step<TR>(TS.Load(x4 + o), d0, d1, d2, d3, ref a04, ref a14, ref a24, ref a34);
            }
        }
        sums[0] = TS.Sum(a00); sums[1] = TS.Sum(a01); sums[2] = TS.Sum(a02); sums[3] = TS.Sum(a03); sums[4] = TS.Sum(a04);
        if (TR.Count < 2) return;
        sums[5] = TS.Sum(a10); sums[6] = TS.Sum(a11); sums[7] = TS.Sum(a12); sums[8] = TS.Sum(a13); sums[9] = TS.Sum(a14);
        if (TR.Count < 4) return;
        sums[10] = TS.Sum(a20); sums[11] = TS.Sum(a21); sums[12] = TS.Sum(a22); sums[13] = TS.Sum(a23); sums[14] = TS.Sum(a24);
        sums[15] = TS.Sum(a30); sums[16] = TS.Sum(a31); sums[17] = TS.Sum(a32); sums[18] = TS.Sum(a33); sums[19] = TS.Sum(a34);
    }

    /// <summary>One input vector <paramref name="v"/> against each filter's output-gradient vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TR>(TV v, TV d0, TV d1, TV d2, TV d3, ref TV a0, ref TV a1, ref TV a2, ref TV a3) where TR : IRows
    {
        a0 = TS.MultiplyAdd(d0, v, a0);
        if (TR.Count >= 2) a1 = TS.MultiplyAdd(d1, v, a1);
        if (TR.Count >= 4)
        {
            a2 = TS.MultiplyAdd(d2, v, a2);
            a3 = TS.MultiplyAdd(d3, v, a3);
        }
    }
}

/// <summary><see cref="ConvFilterGradient{TV, TS}"/> in plain loops.</summary>
internal static unsafe class ConvFilterGradient
{
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void RunScalar(in FilterGradientJob job)
    {
        for (int f = 0; f < job.Filters; f++)
        {
            for (int p = 0; p < job.PatchSize; p++)
            {
                float sum = 0f;
                for (int e = 0; e < job.Examples; e++)
                    for (int r = 0; r < job.Rows; r++)
                    {
                        float* d = job.OutputGradient + e * job.OutputExampleStride + f * job.RowStride + r * job.OutputRowStride;
                        float* x = job.Input + e * job.InputExampleStride + job.Offsets[p] + r * job.InputRowStride;
                        for (nint j = 0; j < job.RowLength; j++) sum += d[j] * x[j];
                    }
                float* gradient = job.Gradient + (long)f * job.PatchSize + p;
                *gradient = job.Accumulate ? *gradient + sum : sum;
            }
        }
    }
}
