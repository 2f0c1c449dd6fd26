using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// The weight and bias gradients of a stride-1, unpadded convolution whose output goes to a max pooling, straight from the
/// pooling's gradient: the convolution's output gradient is zero but at the windows' maxima, so
/// <c>dW[f, c, ky, kx] = Σ_b Σ_o g_o · input_b[c, oy_o + ky, ox_o + kx]</c> over the pooling's outputs o of filter f, with
/// (oy_o, ox_o) the position of o's maximum and g_o its gradient (0 where a ReLU before the pooling is not positive). A
/// quarter of the dense sum's terms for 2 × 2 windows, and the unpooled gradient is never written. Each kernel row of
/// weights is one vector (its lanes past the kernel read the input's next values, and are dropped), two sets of
/// accumulators for even and odd outputs.
/// </summary>
internal static unsafe class ConvPooledGradient<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    /// <summary>Whether the kernel takes <paramref name="g"/> at this width (a kernel row fits in a vector, and registers hold them all).</summary>
    public static bool Applies(in Conv2DGeometry g) =>
        g.Stride == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.KernelSize <= TS.Width && g.KernelSize <= 6
        && g.OutHeight + g.KernelSize - 1 <= g.Height && g.OutWidth + g.KernelSize - 1 <= g.Width;

    /// <summary>Returns false, having written nothing final, when an index is outside its filter's plane (then the caller takes the dense path).</summary>
    /// <param name="dw">[F, C, k, k], overwritten.</param>
    /// <param name="db">[F], overwritten.</param>
    /// <param name="rows">Scratch of F · C · k vectors.</param>
    /// <param name="map">Scratch of OH · OW ints.</param>
    /// <param name="gradients">Scratch of <paramref name="pooledPlane"/> floats.</param>
    /// <param name="dPooled">[batch, F, pooled plane].</param>
    /// <param name="argmax">[batch, F, pooled plane]: indices into an example's convolution output [F, OH, OW].</param>
    /// <param name="pooled">[batch, F, pooled plane]: the pooling's output, or null for no ReLU.</param>
    /// <param name="input">[batch, C, H, W], finite.</param>
    /// <param name="batch">Examples (at least 1).</param>
    /// <param name="g">The convolution (see <see cref="Applies"/>).</param>
    /// <param name="pooledPlane">Outputs of the pooling per filter and example.</param>
    public static bool Run(float* dw, float* db, float* rows, int* map, float* gradients, float* dPooled, int* argmax, float* pooled, float* input,
        int batch, in Conv2DGeometry g, int pooledPlane)
    {
        var job = new Job
        {
            Dw = dw, Db = db, Rows = rows, Map = map, Gradients = gradients, DPooled = dPooled, Argmax = argmax, Pooled = pooled, Input = input,
            Batch = batch, Geometry = g, PooledPlane = pooledPlane,
        };
        Counts.Run(g.KernelSize, ref job);
        return job.Done;
    }

    private struct Job : ICounted
    {
        public float* Dw, Db, Rows, DPooled, Pooled, Input, Gradients;
        public int* Map, Argmax;
        public int Batch, PooledPlane;
        public Conv2DGeometry Geometry;
        public bool Done;

        public void Run<TK>() where TK : ICount => Done = Kernel<TK>(this);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool Kernel<TK>(in Job job) where TK : ICount
    {
        Conv2DGeometry g = job.Geometry;
        int w = TS.Width, k = TK.Value, filters = g.Filters, channels = g.Channels, width = g.Width, pooledPlane = job.PooledPlane;
        int plane = g.OutputPlaneSize, outWidth = g.OutWidth, inputPlane = g.Height * g.Width;
        float* rows = job.Rows, pooled = job.Pooled;
        int* map = job.Map;
        for (int r = 0; r < filters * channels * k; r++) TS.Store(rows + r * w, TS.Zero);
        for (int f = 0; f < filters; f++) job.Db[f] = 0f;
        // Output position p's window starts at input row p / OW, column p % OW.
        for (int p = 0; p < plane; p++) map[p] = p / outWidth * width + p % outWidth;
        float* inputEnd = job.Input + (long)job.Batch * g.InputSize;
        TV tail = TS.FirstLanes(k);
        uint outside = 0;
        for (int b = 0; b < job.Batch; b++)
        {
            float* x = job.Input + (long)b * g.InputSize;
            for (int f = 0; f < filters; f++)
            {
                long first = ((long)b * filters + f) * pooledPlane;
                float* gradient = job.DPooled + first;
                int* at = job.Argmax + first;
                if (pooled != null)
                {
                    // The ReLU's derivative in vectors (a branch per output would be mispredicted half the time).
                    float* maxima = pooled + first;
                    int i = 0;
                    for (; i + w <= pooledPlane; i += w) TS.Store(job.Gradients + i, TS.WherePositive(TS.Load(maxima + i), TS.Load(gradient + i)));
                    for (; i < pooledPlane; i++) job.Gradients[i] = maxima[i] > 0f ? gradient[i] : 0f;
                    gradient = job.Gradients;
                }
                float bias = 0f;
                for (int c = 0; c < channels; c++)
                {
                    float* acc = rows + ((long)f * channels + c) * k * w;
                    LoadRows<TK>(acc, out TV a0, out TV a1, out TV a2, out TV a3, out TV a4, out TV a5);
                    TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, b4 = TS.Zero, b5 = TS.Zero;
                    float* xc = x + (long)c * inputPlane;
                    int o = 0;
                    for (; o + 1 < pooledPlane; o += 2)
                    {
                        float g0 = gradient[o], g1 = gradient[o + 1];
                        if (c == 0) bias += g0 + g1;
                        uint p0 = (uint)(at[o] - f * plane), p1 = (uint)(at[o + 1] - f * plane);
                        // An index outside the filter's plane: noted (the caller then takes the dense path), read as 0.
                        outside |= (p0 >= (uint)plane ? 1u : 0u) | (p1 >= (uint)plane ? 1u : 0u);
                        float* x0 = xc + map[p0 < (uint)plane ? p0 : 0], x1 = xc + map[p1 < (uint)plane ? p1 : 0];
                        Rows<TK>(x0, TS.Broadcast(g0), width, inputEnd, tail, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5);
                        Rows<TK>(x1, TS.Broadcast(g1), width, inputEnd, tail, ref b0, ref b1, ref b2, ref b3, ref b4, ref b5);
                    }
                    if (o < pooledPlane)
                    {
                        float g0 = gradient[o];
                        if (c == 0) bias += g0;
                        uint p0 = (uint)(at[o] - f * plane);
                        outside |= p0 >= (uint)plane ? 1u : 0u;
                        float* x0 = xc + map[p0 < (uint)plane ? p0 : 0];
                        Rows<TK>(x0, TS.Broadcast(g0), width, inputEnd, tail, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5);
                    }
                    StoreRows<TK>(acc, TS.Add(a0, b0), TS.Add(a1, b1), TS.Add(a2, b2), TS.Add(a3, b3), TS.Add(a4, b4), TS.Add(a5, b5));
                }
                job.Db[f] += bias;
            }
        }
        if (outside != 0) return false;
        for (int r = 0; r < filters * channels * k; r++)
            for (int kx = 0; kx < k; kx++) job.Dw[r * k + kx] = rows[r * w + kx];
        return true;
    }

    /// <summary>The k accumulated kernel rows at <paramref name="acc"/> (vectors one after another; zero past k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void LoadRows<TK>(float* acc, out TV a0, out TV a1, out TV a2, out TV a3, out TV a4, out TV a5) where TK : ICount
    {
        int w = TS.Width, k = TK.Value;
        a0 = TS.Load(acc);
        a1 = k > 1 ? TS.Load(acc + w) : TS.Zero;
        a2 = k > 2 ? TS.Load(acc + 2 * w) : TS.Zero;
        a3 = k > 3 ? TS.Load(acc + 3 * w) : TS.Zero;
        a4 = k > 4 ? TS.Load(acc + 4 * w) : TS.Zero;
        a5 = k > 5 ? TS.Load(acc + 5 * w) : TS.Zero;
    }

    /// <summary>The k kernel rows' sums back to <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRows<TK>(float* acc, TV a0, TV a1, TV a2, TV a3, TV a4, TV a5) where TK : ICount
    {
        int w = TS.Width, k = TK.Value;
        TS.Store(acc, a0);
        if (k > 1) TS.Store(acc + w, a1);
        if (k > 2) TS.Store(acc + 2 * w, a2);
        if (k > 3) TS.Store(acc + 3 * w, a3);
        if (k > 4) TS.Store(acc + 4 * w, a4);
        if (k > 5) TS.Store(acc + 5 * w, a5);
    }

    /// <summary>The k input rows under a window at <paramref name="x"/>, times <paramref name="g"/>, into the accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Rows<TK>(float* x, TV g, nint width, float* end, TV tail,
        ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5) where TK : ICount
    {
        int k = TK.Value;
        // The last rows of the batch's input may end within a vector: those go through the mask.
        if (x + (k - 1) * width + TS.Width > end)
        {
            a0 = TS.MultiplyAdd(g, TS.LoadMasked(x, tail), a0);
            if (k > 1) a1 = TS.MultiplyAdd(g, TS.LoadMasked(x + width, tail), a1);
            if (k > 2) a2 = TS.MultiplyAdd(g, TS.LoadMasked(x + 2 * width, tail), a2);
            if (k > 3) a3 = TS.MultiplyAdd(g, TS.LoadMasked(x + 3 * width, tail), a3);
            if (k > 4) a4 = TS.MultiplyAdd(g, TS.LoadMasked(x + 4 * width, tail), a4);
            if (k > 5) a5 = TS.MultiplyAdd(g, TS.LoadMasked(x + 5 * width, tail), a5);
            return;
        }
        a0 = TS.MultiplyAdd(g, TS.Load(x), a0);
        if (k > 1) a1 = TS.MultiplyAdd(g, TS.Load(x + width), a1);
        if (k > 2) a2 = TS.MultiplyAdd(g, TS.Load(x + 2 * width), a2);
        if (k > 3) a3 = TS.MultiplyAdd(g, TS.Load(x + 3 * width), a3);
        if (k > 4) a4 = TS.MultiplyAdd(g, TS.Load(x + 4 * width), a4);
        if (k > 5) a5 = TS.MultiplyAdd(g, TS.Load(x + 5 * width), a5);
    }
}
