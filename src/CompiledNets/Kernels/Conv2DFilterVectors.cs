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
        for (int oy = 0; oy < job.OutHeight; oy++)
        {
            for (int v = 0; v < vectors; v += 2)
            {
                bool pair = vectors - v >= 2;
                int widest = TS.Registers >= 32 || !pair ? 8 : 6;
                for (int ox = 0; ox < job.OutWidth; ox += widest)
                {
                    int n = System.Math.Min(widest, job.OutWidth - ox);
                    float* x = job.Input + oy * job.GridWidth + ox;
                    float* weights = job.Weights + v * w;
                    float* output = job.Output + (long)(oy * job.OutWidth + ox) * job.Filters + v * w;
                    if (pair) Positions<Count2>(job, n, x, weights, output);
                    else Positions<Count1>(job, n, x, weights, output);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Positions<TV2>(in FilterVectorJob job, int n, float* x, float* weights, float* output) where TV2 : ICount
    {
        switch (n)
        {
            case 8: Tile<Count8, TV2>(job, x, weights, output); break;
            case 7: Tile<Count7, TV2>(job, x, weights, output); break;
            case 6: Tile<Count6, TV2>(job, x, weights, output); break;
            case 5: Tile<Count5, TV2>(job, x, weights, output); break;
            case 4: Tile<Count4, TV2>(job, x, weights, output); break;
            case 3: Tile<Count3, TV2>(job, x, weights, output); break;
            case 2: Tile<Count2, TV2>(job, x, weights, output); break;
            default: Tile<Count1, TV2>(job, x, weights, output); break;
        }
    }

    /// <summary><typeparamref name="TN"/> positions × <typeparamref name="TV2"/> vectors of filters.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TN, TV2>(in FilterVectorJob job, float* x, float* weights, float* output) where TN : ICount where TV2 : ICount
    {
        int w = TS.Width;
        nint filters = job.Filters;
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
        TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, b4 = TS.Zero, b5 = TS.Zero, b6 = TS.Zero, b7 = TS.Zero;
        int* offsets = job.Offsets;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV2>(float* output, TV a, TV b) where TV2 : ICount
    {
        TS.Store(output, a);
        if (TV2.Value == 2) TS.Store(output + TS.Width, b);
    }
}
