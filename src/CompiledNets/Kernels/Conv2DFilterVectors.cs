using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>A count known when a generic routine is compiled, so that the code for larger counts compiles away.</summary>
internal interface ICount { static abstract int Value { get; } }
internal readonly struct Count1 : ICount { public static int Value => 1; }
internal readonly struct Count2 : ICount { public static int Value => 2; }
internal readonly struct Count3 : ICount { public static int Value => 3; }
internal readonly struct Count4 : ICount { public static int Value => 4; }
internal readonly struct Count5 : ICount { public static int Value => 5; }
internal readonly struct Count6 : ICount { public static int Value => 6; }
internal readonly struct Count7 : ICount { public static int Value => 7; }
internal readonly struct Count8 : ICount { public static int Value => 8; }

/// <summary>Work that takes a count as a type, for <see cref="Counts.Run{TOp}"/>.</summary>
internal interface ICounted { void Run<TN>() where TN : ICount; }

internal static class Counts
{
    /// <summary>Runs <paramref name="op"/> with <paramref name="n"/> (1 to 8) as a type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TOp>(int n, ref TOp op) where TOp : struct, ICounted
    {
        switch (n)
        {
            case 8: op.Run<Count8>(); break;
            case 7: op.Run<Count7>(); break;
            case 6: op.Run<Count6>(); break;
            case 5: op.Run<Count5>(); break;
            case 4: op.Run<Count4>(); break;
            case 3: op.Run<Count3>(); break;
            case 2: op.Run<Count2>(); break;
            default: op.Run<Count1>(); break;
        }
    }
}

/// <summary>One example of a stride-1 convolution's forward pass with the filters in the vector lanes (see <see cref="ConvFilterVectors{TV, TS}"/>).</summary>
internal unsafe struct FilterVectorJob
{
    /// <summary>The example's padded input on its grid.</summary>
    public float* Input;
    /// <summary>[Terms]: the grid offset of each weight (c, ky, kx).</summary>
    public int* Offsets;
    public int Terms;
    /// <summary>[Terms, Filters]: the weights transposed, each weight's filters side by side.</summary>
    public float* Weights;
    /// <summary>A multiple of the vector width.</summary>
    public int Filters;
    /// <summary>[OutHeight · OutWidth, Filters]: the outputs, each position's filters side by side.</summary>
    public float* Output;
    public int OutHeight, OutWidth, GridWidth;
}

/// <summary>
/// <c>output[j, f] = Σ_p input[offset(p) + grid(j)] · weights[p, f]</c>, the filters in the vector lanes: when the filter
/// count is a multiple of the vector width, no lane is wasted, and only the outputs are computed (none of the grid's
/// columns past the outputs). A tile is up to 8 positions of an output row (6 with 16 registers and two vectors) by one or
/// two vectors of filters: per weight, one or two vectors of weights and a broadcast input value per position.
/// </summary>
internal static unsafe class ConvFilterVectors<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in FilterVectorJob job)
    {
        int w = TS.Width, vectors = job.Filters / w;
        // One vector of filters with 32 registers: two output rows at a time, 16 accumulators (8 hide the multiply-add
        // latency only just, and each weight vector loaded then serves twice the positions).
        bool rowPairs = vectors == 1 && TS.Registers >= 32;
        int oy = 0;
        for (; rowPairs && oy + 2 <= job.OutHeight; oy += 2)
        {
            for (int ox = 0; ox < job.OutWidth; ox += 8)
            {
                int n = System.Math.Min(8, job.OutWidth - ox);
                var tile = new Positions<RowPair>
                {
                    Job = job, X = job.Input + oy * job.GridWidth + ox, Weights = job.Weights,
                    Output = job.Output + (long)(oy * job.OutWidth + ox) * job.Filters,
                };
                Counts.Run(n, ref tile);
            }
        }
        for (; oy < job.OutHeight; oy++)
        {
            for (int v = 0; v < vectors; v += 2)
            {
                bool pair = vectors - v >= 2;
                int widest = TS.Registers >= 32 || !pair ? 8 : 6;
                // The row in tiles of even widths: with 16 registers a row of 8 goes as 4 + 4 (8 accumulators each, enough
                // to hide the multiply-add latency), not 6 + 2 (the tile of 2 waits on its 4 accumulators).
                int tiles = (job.OutWidth + widest - 1) / widest;
                widest = (job.OutWidth + tiles - 1) / tiles;
                for (int ox = 0; ox < job.OutWidth; ox += widest)
                {
                    int n = System.Math.Min(widest, job.OutWidth - ox);
                    float* x = job.Input + oy * job.GridWidth + ox;
                    float* weights = job.Weights + v * w;
                    float* output = job.Output + (long)(oy * job.OutWidth + ox) * job.Filters + v * w;
                    if (pair)
                    {
                        var tile = new Positions<Count2> { Job = job, X = x, Weights = weights, Output = output };
                        Counts.Run(n, ref tile);
                    }
                    else
                    {
                        var tile = new Positions<Count1> { Job = job, X = x, Weights = weights, Output = output };
                        Counts.Run(n, ref tile);
                    }
                }
            }
        }
    }

    /// <summary>A tile of some positions of an output row by <typeparamref name="TV2"/> vectors of filters.</summary>
    private struct Positions<TV2> : ICounted where TV2 : ICount
    {
        public FilterVectorJob Job;
        public float* X, Weights, Output;

        public void Run<TN>() where TN : ICount => Tile<TN, TV2>(Job, X, Weights, Output);
    }

    /// <summary>
    /// Bias (ReLU when <paramref name="relu"/>) and max pooling of one example's outputs [OH·OW, F] into
    /// <paramref name="pooled"/> [PH·PW, F]: per window and vector of filters, the candidates in window order (row by row),
    /// each replacing the maximum when greater or NaN, lane by lane; so no shuffle, and the same values as the bias,
    /// activation and pooling of the filters' planes one after another.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Pool(float* pooled, float* outputs, float* bias, bool relu, int filters, int outWidth, int size, int stride,
        int pooledHeight, int pooledWidth)
    {
        int w = TS.Width;
        for (int v = 0; v < filters; v += w)
        {
            TV b = TS.Load(bias + v);
            for (int py = 0; py < pooledHeight; py++)
                for (int px = 0; px < pooledWidth; px++)
                {
                    float* window = outputs + ((long)py * stride * outWidth + px * stride) * filters + v;
                    TV max = Candidate(window, b, relu);
                    for (int i = 0; i < size; i++)
                        for (int j = i == 0 ? 1 : 0; j < size; j++)
                        {
                            TV z = Candidate(window + ((long)i * outWidth + j) * filters, b, relu);
                            max = TS.ConditionalSelect(TS.Or(TS.GreaterThan(z, max), TS.IsNaN(z)), z, max);
                        }
                    TS.Store(pooled + (long)(py * pooledWidth + px) * filters + v, max);
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Candidate(float* output, TV bias, bool relu)
    {
        TV z = TS.Add(TS.Load(output), bias);
        return relu ? TS.Max(z, TS.Zero) : z;
    }

    /// <summary>As a vector count, one vector of filters for the positions of two output rows (the b accumulators: the second row's).</summary>
    private readonly struct RowPair : ICount { public static int Value => 0; }

    /// <summary>
    /// <typeparamref name="TN"/> positions × <typeparamref name="TV2"/> vectors of filters; with <see cref="RowPair"/>, one
    /// vector of filters for <typeparamref name="TN"/> positions of this output row and the same ones of the next.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TN, TV2>(in FilterVectorJob job, float* x, float* weights, float* output) where TN : ICount where TV2 : ICount
    {
        int w = TS.Width;
        nint filters = job.Filters;
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
        TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, b4 = TS.Zero, b5 = TS.Zero, b6 = TS.Zero, b7 = TS.Zero;
        int* offsets = job.Offsets;
        if (TV2.Value == RowPair.Value)
        {
            nint below = job.GridWidth;
            for (int t = 0; t < job.Terms; t++)
            {
                float* xp = x + offsets[t];
                TV w0 = TS.Load(weights + t * filters);
                RowPairStep<TN>(xp, xp + below, w0, ref a0, ref b0, ref a1, ref b1, ref a2, ref b2, ref a3, ref b3,
                    ref a4, ref b4, ref a5, ref b5, ref a6, ref b6, ref a7, ref b7);
            }
            float* next = output + job.OutWidth * filters;
            StorePair(output, a0, b0, next);
            if (TN.Value > 1) StorePair(output + filters, a1, b1, next + filters);
            if (TN.Value > 2) StorePair(output + 2 * filters, a2, b2, next + 2 * filters);
            if (TN.Value > 3) StorePair(output + 3 * filters, a3, b3, next + 3 * filters);
            if (TN.Value > 4) StorePair(output + 4 * filters, a4, b4, next + 4 * filters);
            if (TN.Value > 5) StorePair(output + 5 * filters, a5, b5, next + 5 * filters);
            if (TN.Value > 6) StorePair(output + 6 * filters, a6, b6, next + 6 * filters);
            if (TN.Value > 7) StorePair(output + 7 * filters, a7, b7, next + 7 * filters);
            return;
        }
        for (int t = 0; t < job.Terms; t++)
        {
            float* xp = x + offsets[t];
            float* wp = weights + t * filters;
            TV w0 = TS.Load(wp);
            TV w1 = TV2.Value == 2 ? TS.Load(wp + w) : TS.Zero;
            Step<TV2>(TS.Broadcast(xp), w0, w1, ref a0, ref b0);
            if (TN.Value > 1) Step<TV2>(TS.Broadcast(xp + 1), w0, w1, ref a1, ref b1);
            if (TN.Value > 2) Step<TV2>(TS.Broadcast(xp + 2), w0, w1, ref a2, ref b2);
            if (TN.Value > 3) Step<TV2>(TS.Broadcast(xp + 3), w0, w1, ref a3, ref b3);
            if (TN.Value > 4) Step<TV2>(TS.Broadcast(xp + 4), w0, w1, ref a4, ref b4);
            if (TN.Value > 5) Step<TV2>(TS.Broadcast(xp + 5), w0, w1, ref a5, ref b5);
            if (TN.Value > 6) Step<TV2>(TS.Broadcast(xp + 6), w0, w1, ref a6, ref b6);
            if (TN.Value > 7) Step<TV2>(TS.Broadcast(xp + 7), w0, w1, ref a7, ref b7);
        }
        Store<TV2>(output, a0, b0);
        if (TN.Value > 1) Store<TV2>(output + filters, a1, b1);
        if (TN.Value > 2) Store<TV2>(output + 2 * filters, a2, b2);
        if (TN.Value > 3) Store<TV2>(output + 3 * filters, a3, b3);
        if (TN.Value > 4) Store<TV2>(output + 4 * filters, a4, b4);
        if (TN.Value > 5) Store<TV2>(output + 5 * filters, a5, b5);
        if (TN.Value > 6) Store<TV2>(output + 6 * filters, a6, b6);
        if (TN.Value > 7) Store<TV2>(output + 7 * filters, a7, b7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TV2>(TV x, TV w0, TV w1, ref TV a, ref TV b) where TV2 : ICount
    {
        a = TS.MultiplyAdd(x, w0, a);
        if (TV2.Value == 2) b = TS.MultiplyAdd(x, w1, b);
    }

    /// <summary>One weight vector against <typeparamref name="TN"/> inputs of a row (<paramref name="x"/>) and of the row below (<paramref name="y"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPairStep<TN>(float* x, float* y, TV w0, ref TV a0, ref TV b0, ref TV a1, ref TV b1, ref TV a2, ref TV b2,
        ref TV a3, ref TV b3, ref TV a4, ref TV b4, ref TV a5, ref TV b5, ref TV a6, ref TV b6, ref TV a7, ref TV b7) where TN : ICount
    {
        a0 = TS.MultiplyAdd(TS.Broadcast(x), w0, a0); b0 = TS.MultiplyAdd(TS.Broadcast(y), w0, b0);
        if (TN.Value > 1) { a1 = TS.MultiplyAdd(TS.Broadcast(x + 1), w0, a1); b1 = TS.MultiplyAdd(TS.Broadcast(y + 1), w0, b1); }
        if (TN.Value > 2) { a2 = TS.MultiplyAdd(TS.Broadcast(x + 2), w0, a2); b2 = TS.MultiplyAdd(TS.Broadcast(y + 2), w0, b2); }
        if (TN.Value > 3) { a3 = TS.MultiplyAdd(TS.Broadcast(x + 3), w0, a3); b3 = TS.MultiplyAdd(TS.Broadcast(y + 3), w0, b3); }
        if (TN.Value > 4) { a4 = TS.MultiplyAdd(TS.Broadcast(x + 4), w0, a4); b4 = TS.MultiplyAdd(TS.Broadcast(y + 4), w0, b4); }
        if (TN.Value > 5) { a5 = TS.MultiplyAdd(TS.Broadcast(x + 5), w0, a5); b5 = TS.MultiplyAdd(TS.Broadcast(y + 5), w0, b5); }
        if (TN.Value > 6) { a6 = TS.MultiplyAdd(TS.Broadcast(x + 6), w0, a6); b6 = TS.MultiplyAdd(TS.Broadcast(y + 6), w0, b6); }
        if (TN.Value > 7) { a7 = TS.MultiplyAdd(TS.Broadcast(x + 7), w0, a7); b7 = TS.MultiplyAdd(TS.Broadcast(y + 7), w0, b7); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV2>(float* output, TV a, TV b) where TV2 : ICount
    {
        TS.Store(output, a);
        if (TV2.Value == 2) TS.Store(output + TS.Width, b);
    }

    /// <summary>A row pair's sums for one position: <paramref name="a"/> at <paramref name="output"/>, <paramref name="b"/> at <paramref name="below"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(float* output, TV a, TV b, float* below)
    {
        TS.Store(output, a);
        TS.Store(below, b);
    }
}

/// <summary>A stride-1 convolution's weight gradient over a chunk of examples with the filters in the lanes (see <see cref="ConvFilterVectorGradient{TV, TS}"/>).</summary>
internal unsafe struct FilterVectorGradientJob
{
    /// <summary>Example e's padded input at <c>Inputs + e · InputStride</c>.</summary>
    public float* Inputs;
    public nint InputStride;
    /// <summary>Example e's output gradient transposed, [OH·OW, Filters], at <c>OutputGradients + e · OutputStride</c>.</summary>
    public float* OutputGradients;
    public nint OutputStride;
    public int Examples, Channels, KernelSize, Filters, OutHeight, OutWidth, GridWidth, GridPlane;
    /// <summary>[C·k·k, Filters]: the weight gradient transposed, written, or added to when <see cref="Accumulate"/>.</summary>
    public float* Gradient;
    public bool Accumulate;
}

/// <summary>
/// <c>dW[p, f] = Σ_e Σ_j input_e[offset(p) + grid(j)] · dOutput_e[j, f]</c>, the filters in the vector lanes: a tile is up
/// to 8 neighbouring weights of a kernel row by up to 3 kernel rows and one vector of filters (up to 24 accumulators, with
/// 32 vector registers), or with 16 registers up to 6 weights of one row by two vectors of filters (the broadcasts are
/// shared, which matters more there); per output position one or two vectors of gradients and a broadcast input value per
/// weight.
/// Each accumulator is one weight's gradient for a vector of filters, summed over every position of every example in the
/// chunk, in order: no lane sums, and nothing computed past the outputs.
/// </summary>
internal static unsafe class ConvFilterVectorGradient<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run(in FilterVectorGradientJob job)
    {
        int w = TS.Width, k = job.KernelSize;
        int budget = TS.Registers >= 32 ? 24 : 12;
        int across = System.Math.Min(k, 8);
        int down = System.Math.Clamp(budget / across, 1, 3);
        int v = 0;
        if (TS.Registers < 32 && k >= 4) // 2 vectors × fewer than 4 weights: too few accumulators to hide the latency
        {
            for (; v + 2 * w <= job.Filters; v += 2 * w)
                for (int c = 0; c < job.Channels; c++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx += 6)
                        {
                            int offset = c * job.GridPlane + ky * job.GridWidth + kx;
                            Weights<TwoVectors>(job, System.Math.Min(6, k - kx), offset, v, job.Gradient + (long)((c * k + ky) * k + kx) * job.Filters + v);
                        }
        }
        for (; v < job.Filters; v += w)
            for (int c = 0; c < job.Channels; c++)
                for (int ky = 0; ky < k; ky += down)
                {
                    int rows = System.Math.Min(down, k - ky);
                    for (int kx = 0; kx < k; kx += 8)
                    {
                        int n = System.Math.Min(8, k - kx);
                        int offset = c * job.GridPlane + ky * job.GridWidth + kx;
                        float* gradient = job.Gradient + (long)((c * k + ky) * k + kx) * job.Filters + v;
                        switch (rows)
                        {
                            case 3: Weights<Count3>(job, n, offset, v, gradient); break;
                            case 2: Weights<Count2>(job, n, offset, v, gradient); break;
                            default: Weights<Count1>(job, n, offset, v, gradient); break;
                        }
                    }
                }
    }

    /// <summary><paramref name="n"/> weights of a kernel row (or rows, as <typeparamref name="TR"/> says) as one tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Weights<TR>(in FilterVectorGradientJob job, int n, int offset, int filter, float* gradient) where TR : ICount
    {
        var tile = new WeightTile<TR> { Job = job, Offset = offset, Filter = filter, Gradient = gradient };
        Counts.Run(n, ref tile);
    }

    private struct WeightTile<TR> : ICounted where TR : ICount
    {
        public FilterVectorGradientJob Job;
        public int Offset, Filter;
        public float* Gradient;

        public void Run<TN>() where TN : ICount => Tile<TN, TR>(Job, Offset, Filter, Gradient);
    }

    /// <summary>The tile shape of one kernel row by two vectors of filters (as a row count, it is none of 1 to 3).</summary>
    private readonly struct TwoVectors : ICount { public static int Value => 0; }

    /// <summary>
    /// <typeparamref name="TN"/> weights of <typeparamref name="TR"/> kernel rows from <paramref name="offset"/> on:
    /// accumulators a, b, c for the first, second and third row; for <see cref="TwoVectors"/>, a and b for the first and
    /// second vector of filters of one row.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TN, TR>(in FilterVectorGradientJob job, int offset, int filter, float* gradient) where TN : ICount where TR : ICount
    {
        nint filters = job.Filters, gridWidth = job.GridWidth;
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
        TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, b4 = TS.Zero, b5 = TS.Zero, b6 = TS.Zero, b7 = TS.Zero;
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero, c6 = TS.Zero, c7 = TS.Zero;
        for (int e = 0; e < job.Examples; e++)
        {
            float* input = job.Inputs + e * job.InputStride + offset;
            float* outputGradient = job.OutputGradients + e * job.OutputStride + filter;
            for (int oy = 0; oy < job.OutHeight; oy++)
            {
                float* x = input + oy * gridWidth;
                float* d = outputGradient + (long)oy * job.OutWidth * filters;
                for (int ox = 0; ox < job.OutWidth; ox++, x++, d += filters)
                {
                    TV g = TS.Load(d);
                    if (TR.Value == TwoVectors.Value)
                    {
                        RowTwice<TN>(x, g, TS.Load(d + TS.Width), ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref b0, ref b1, ref b2, ref b3, ref b4, ref b5);
                        continue;
                    }
                    Row<TN>(x, g, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
                    if (TR.Value > 1) Row<TN>(x + gridWidth, g, ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7);
                    if (TR.Value > 2) Row<TN>(x + 2 * gridWidth, g, ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7);
                }
            }
        }
        // Kernel row r's gradients are r · k weights further on; the second vector's, a vector's filters further on.
        bool accumulate = job.Accumulate;
        nint row = TR.Value == TwoVectors.Value ? TS.Width : job.KernelSize * filters;
        Store<TN>(gradient, filters, accumulate, a0, a1, a2, a3, a4, a5, a6, a7);
        if (TR.Value > 1 || TR.Value == TwoVectors.Value) Store<TN>(gradient + row, filters, accumulate, b0, b1, b2, b3, b4, b5, b6, b7);
        if (TR.Value > 2) Store<TN>(gradient + 2 * row, filters, accumulate, c0, c1, c2, c3, c4, c5, c6, c7);
    }

    /// <summary>One kernel row's weights against one position's gradients <paramref name="g"/>: input x[t] for weight t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TN>(float* x, TV g, ref TV s0, ref TV s1, ref TV s2, ref TV s3, ref TV s4, ref TV s5, ref TV s6, ref TV s7)
        where TN : ICount
    {
        s0 = TS.MultiplyAdd(TS.Broadcast(x), g, s0);
        if (TN.Value > 1) s1 = TS.MultiplyAdd(TS.Broadcast(x + 1), g, s1);
        if (TN.Value > 2) s2 = TS.MultiplyAdd(TS.Broadcast(x + 2), g, s2);
        if (TN.Value > 3) s3 = TS.MultiplyAdd(TS.Broadcast(x + 3), g, s3);
        if (TN.Value > 4) s4 = TS.MultiplyAdd(TS.Broadcast(x + 4), g, s4);
        if (TN.Value > 5) s5 = TS.MultiplyAdd(TS.Broadcast(x + 5), g, s5);
        if (TN.Value > 6) s6 = TS.MultiplyAdd(TS.Broadcast(x + 6), g, s6);
        if (TN.Value > 7) s7 = TS.MultiplyAdd(TS.Broadcast(x + 7), g, s7);
    }

    /// <summary>Up to 6 weights of one kernel row against two vectors of one position's gradients, each broadcast once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTwice<TN>(float* x, TV g, TV h, ref TV s0, ref TV s1, ref TV s2, ref TV s3, ref TV s4, ref TV s5,
        ref TV r0, ref TV r1, ref TV r2, ref TV r3, ref TV r4, ref TV r5) where TN : ICount
    {
        TV v = TS.Broadcast(x);
        s0 = TS.MultiplyAdd(v, g, s0); r0 = TS.MultiplyAdd(v, h, r0);
        if (TN.Value > 1) { v = TS.Broadcast(x + 1); s1 = TS.MultiplyAdd(v, g, s1); r1 = TS.MultiplyAdd(v, h, r1); }
        if (TN.Value > 2) { v = TS.Broadcast(x + 2); s2 = TS.MultiplyAdd(v, g, s2); r2 = TS.MultiplyAdd(v, h, r2); }
        if (TN.Value > 3) { v = TS.Broadcast(x + 3); s3 = TS.MultiplyAdd(v, g, s3); r3 = TS.MultiplyAdd(v, h, r3); }
        if (TN.Value > 4) { v = TS.Broadcast(x + 4); s4 = TS.MultiplyAdd(v, g, s4); r4 = TS.MultiplyAdd(v, h, r4); }
        if (TN.Value > 5) { v = TS.Broadcast(x + 5); s5 = TS.MultiplyAdd(v, g, s5); r5 = TS.MultiplyAdd(v, h, r5); }
    }

    /// <summary>One kernel row's sums: weight t's at <c>gradient + t · stride</c>, written or added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TN>(float* gradient, nint stride, bool accumulate, TV s0, TV s1, TV s2, TV s3, TV s4, TV s5, TV s6, TV s7)
        where TN : ICount
    {
        Store(gradient, s0, accumulate);
        if (TN.Value > 1) Store(gradient + stride, s1, accumulate);
        if (TN.Value > 2) Store(gradient + 2 * stride, s2, accumulate);
        if (TN.Value > 3) Store(gradient + 3 * stride, s3, accumulate);
        if (TN.Value > 4) Store(gradient + 4 * stride, s4, accumulate);
        if (TN.Value > 5) Store(gradient + 5 * stride, s5, accumulate);
        if (TN.Value > 6) Store(gradient + 6 * stride, s6, accumulate);
        if (TN.Value > 7) Store(gradient + 7 * stride, s7, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* gradient, TV sum, bool accumulate) =>
        TS.Store(gradient, accumulate ? TS.Add(TS.Load(gradient), sum) : sum);
}
