using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>One example of a stride-1 convolution's forward pass by output rows (see <see cref="ConvRows{TV, TS}"/>).</summary>
internal unsafe struct RowsJob
{
    /// <summary>The example's padded input on its grid, [C, grid rows, <see cref="GridWidth"/>], readable a vector past its end.</summary>
    public float* Input;
    /// <summary>[F, C·k·k]: the weights as given.</summary>
    public float* Weights;
    /// <summary>[F].</summary>
    public float* Bias;
    /// <summary>[F, OH, OW].</summary>
    public float* Output;
    public int Channels, KernelSize, Filters, OutHeight, OutWidth, GridWidth, GridPlane;
    /// <summary>Whether ReLU follows the bias.</summary>
    public bool Relu;
}

/// <summary>
/// <c>output[f, oy, ox] = Σ_(c, ky, kx) weights[f, c, ky, kx] · input[c, oy + ky, ox + kx]</c>, plus the bias (and ReLU),
/// the output columns in the vector lanes: a tile is one output row's vectors (up to 3, or 4 with 32 registers) by a
/// few filters (as many), and each term is a row of inputs loaded at its column offset times a broadcast weight, so
/// only the outputs are computed (none of the grid's columns past them, as the grid's product does) and the bias and
/// activation are applied in registers. The terms of an output are added in (c, ky, kx) order from zero, as the grid's
/// product adds them: the same bits. Lanes past the row's last output read the next values of the grid (or up to a
/// vector past its end) and are not stored.
/// </summary>
internal static unsafe class ConvRows<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    /// <summary>The most vectors of a row, and the most filters, in a tile (filters × vectors + vectors + 1 registers in use).</summary>
    private static int Most => TS.Registers >= 32 ? 4 : 3;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in RowsJob job)
    {
        int w = TS.Width, vectors = (job.OutWidth + w - 1) / w;
        // Even splits: LeNet's conv1 (6 filters, rows of 24) is 3 + 3 filters by 3 vectors with AVX2.
        int chunks = (vectors + Most - 1) / Most, perChunk = (vectors + chunks - 1) / chunks;
        int groups = (job.Filters + Most - 1) / Most, perGroup = (job.Filters + groups - 1) / groups;
        TV last = TS.FirstLanes(job.OutWidth - (vectors - 1) * w);
        for (int f = 0; f < job.Filters; f += perGroup)
        {
            int filters = Math.Min(perGroup, job.Filters - f);
            for (int v = 0; v < vectors; v += perChunk)
            {
                int n = Math.Min(perChunk, vectors - v);
                bool partial = v + n == vectors && job.OutWidth % w != 0;
                var at = new Place { Filter = f, Column = v * w, Partial = partial, Last = last };
                switch (filters)
                {
                    case 4: { var tiles = new RowTiles<Count4> { Job = job, At = at }; Counts.Run(n, ref tiles); break; }
                    case 3: { var tiles = new RowTiles<Count3> { Job = job, At = at }; Counts.Run(n, ref tiles); break; }
                    case 2: { var tiles = new RowTiles<Count2> { Job = job, At = at }; Counts.Run(n, ref tiles); break; }
                    default: { var tiles = new RowTiles<Count1> { Job = job, At = at }; Counts.Run(n, ref tiles); break; }
                }
            }
        }
    }

    /// <summary>Where a column of tiles goes: its first filter and column, and whether its last vector is partial (then <see cref="Last"/> holds its lanes).</summary>
    private struct Place
    {
        public int Filter, Column;
        public bool Partial;
        public TV Last;
    }

    private struct RowTiles<TF> : ICounted where TF : ICount
    {
        public RowsJob Job;
        public Place At;

        public void Run<TN>() where TN : ICount => Tiles<TF, TN>(Job, At);
    }

    /// <summary>
    /// <typeparamref name="TF"/> filters × <typeparamref name="TN"/> vectors of each output row in turn (accumulators a, b,
    /// c, d per filter): one call per column of tiles, so that the pointers are set up once.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<TF, TN>(in RowsJob job, in Place at) where TF : ICount where TN : ICount
    {
        int w = TS.Width, k = job.KernelSize, channels = job.Channels;
        nint patch = (nint)channels * k * k, gridWidth = job.GridWidth, gridPlane = job.GridPlane, plane = (nint)job.OutHeight * job.OutWidth;
        float* weights = job.Weights + at.Filter * patch;
        float* bias = job.Bias + at.Filter;
        bool relu = job.Relu;
        float* input = job.Input + at.Column;
        float* y = job.Output + at.Filter * plane + at.Column;
        for (int oy = 0; oy < job.OutHeight; oy++, input += gridWidth, y += job.OutWidth)
        {
            TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero;
            TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, d0 = TS.Zero, d1 = TS.Zero, d2 = TS.Zero, d3 = TS.Zero;
            float* wt = weights;
            for (int c = 0; c < channels; c++)
            {
                float* x = input + c * gridPlane;
                for (int ky = 0; ky < k; ky++, x += gridWidth - k)
                    for (int kx = 0; kx < k; kx++, x++, wt++)
                    {
                        TV x0 = TS.Load(x);
                        TV x1 = TN.Value > 1 ? TS.Load(x + w) : TS.Zero;
                        TV x2 = TN.Value > 2 ? TS.Load(x + 2 * w) : TS.Zero;
                        TV x3 = TN.Value > 3 ? TS.Load(x + 3 * w) : TS.Zero;
                        Filter<TN>(TS.Broadcast(wt), x0, x1, x2, x3, ref a0, ref a1, ref a2, ref a3);
                        if (TF.Value > 1) Filter<TN>(TS.Broadcast(wt + patch), x0, x1, x2, x3, ref b0, ref b1, ref b2, ref b3);
                        if (TF.Value > 2) Filter<TN>(TS.Broadcast(wt + 2 * patch), x0, x1, x2, x3, ref c0, ref c1, ref c2, ref c3);
                        if (TF.Value > 3) Filter<TN>(TS.Broadcast(wt + 3 * patch), x0, x1, x2, x3, ref d0, ref d1, ref d2, ref d3);
                    }
            }
            Store<TN>(y, bias[0], relu, at, a0, a1, a2, a3);
            if (TF.Value > 1) Store<TN>(y + plane, bias[1], relu, at, b0, b1, b2, b3);
            if (TF.Value > 2) Store<TN>(y + 2 * plane, bias[2], relu, at, c0, c1, c2, c3);
            if (TF.Value > 3) Store<TN>(y + 3 * plane, bias[3], relu, at, d0, d1, d2, d3);
        }
    }

    /// <summary>One filter's weight <paramref name="weight"/> (broadcast) against the tile's input vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Filter<TN>(TV weight, TV x0, TV x1, TV x2, TV x3, ref TV s0, ref TV s1, ref TV s2, ref TV s3) where TN : ICount
    {
        s0 = TS.MultiplyAdd(weight, x0, s0);
        if (TN.Value > 1) s1 = TS.MultiplyAdd(weight, x1, s1);
        if (TN.Value > 2) s2 = TS.MultiplyAdd(weight, x2, s2);
        if (TN.Value > 3) s3 = TS.MultiplyAdd(weight, x3, s3);
    }

    /// <summary>One filter's row of the tile, bias added (then ReLU), the last vector through its lanes when it is partial.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TN>(float* y, float bias, bool relu, in Place at, TV s0, TV s1, TV s2, TV s3) where TN : ICount
    {
        int w = TS.Width;
        TV b = TS.Broadcast(bias);
        if (TN.Value == 1) { Last(y, Finish(s0, b, relu), at); return; }
        TS.Store(y, Finish(s0, b, relu));
        if (TN.Value == 2) { Last(y + w, Finish(s1, b, relu), at); return; }
        TS.Store(y + w, Finish(s1, b, relu));
        if (TN.Value == 3) { Last(y + 2 * w, Finish(s2, b, relu), at); return; }
        TS.Store(y + 2 * w, Finish(s2, b, relu));
        Last(y + 3 * w, Finish(s3, b, relu), at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Finish(TV sum, TV bias, bool relu)
    {
        TV z = TS.Add(sum, bias);
        return relu ? TS.Max(z, TS.Zero) : z;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Last(float* y, TV v, in Place at)
    {
        if (at.Partial) TS.StoreMasked(y, v, at.Last);
        else TS.Store(y, v);
    }
}
