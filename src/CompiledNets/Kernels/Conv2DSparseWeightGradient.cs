using System;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>
/// The weight gradient of a stride-1, unpadded convolution from an output gradient that is mostly zeros (as after max
/// pooling, spatial dropout and a ReLU): <c>dW[f, c, ky, kx] = Σ_b Σ_j g_j · input_b[c, oy_j + ky, ox_j + kx]</c> over the
/// non-zero gradients <c>g_j = dOutput_b[f, j]</c> alone, listed per example and filter. Each kernel row of weights is one
/// vector (its lanes past the kernel read the input's next values and are dropped), as in
/// <see cref="ConvPooledGradient{TV, TS}"/>, whose row sums it shares. LeNet's conv2 after pooling: about 115 non-zero
/// gradients of 1,024 per example, 3,500 multiply-adds against 19,200 for the dense sum with the filters in the lanes.
/// </summary>
internal static class ConvSparseFilterGradient
{
    /// <summary>
    /// Whether the sparse sum costs less than the dense one with the filters in the lanes (<paramref name="denseWidth"/>
    /// floats per vector) for <paramref name="nonZeros"/> non-zero gradients over <paramref name="batch"/> examples: per
    /// non-zero gradient and channel, k multiply-adds and about 8 operations' worth of finding its window (measured as
    /// ConvPooledGradient's 6.7 cycles per output and channel for LeNet's conv1), against C·k·k · F / width per position.
    /// </summary>
    public static bool Cheaper(long nonZeros, int batch, in Conv2DGeometry g, int denseWidth) =>
        nonZeros * g.Channels * (g.KernelSize + 8) < (long)batch * g.OutputPlaneSize * g.PatchSize * ((g.Filters + denseWidth - 1) / denseWidth);
}

/// <summary><see cref="ConvSparseFilterGradient"/> in vectors.</summary>
internal static unsafe class ConvSparseFilterGradient<TV, TS> where TV : unmanaged where TS : ISimd<TV>
{
    /// <summary>Whether the kernel takes <paramref name="g"/> at this width (as <see cref="ConvPooledGradient{TV, TS}.Applies"/>).</summary>
    public static bool Applies(in Conv2DGeometry g) => ConvPooledGradient<TV, TS>.Applies(g);

    /// <summary>The non-zero values (bit patterns other than +0) among the first <paramref name="count"/> of <paramref name="values"/>.</summary>
    public static long CountNonZero(float* values, long count)
    {
        int w = TS.Width;
        long total = 0, i = 0;
        for (; i + w <= count; i += w) total += System.Numerics.BitOperations.PopCount(TS.NonZeroLanes(TS.Load(values + i)));
        for (; i < count; i++) total += BitConverter.SingleToInt32Bits(values[i]) != 0 ? 1 : 0;
        return total;
    }

    /// <summary>
    /// <paramref name="dw"/> [F, C, k, k] of examples [<paramref name="first"/>, <paramref name="last"/>), overwritten;
    /// <paramref name="rows"/> scratch of F · C · k vectors, <paramref name="list"/> of OH·OW + a vector of ints,
    /// <paramref name="map"/> of OH·OW ints. The input must be finite (a left-out 0 · ∞ would be NaN in the dense sum) and
    /// readable up to <paramref name="inputEnd"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* dw, float* rows, int* list, int* map, float* dOutput, float* input, float* inputEnd, int first, int last,
        in Conv2DGeometry g)
    {
        var job = new Job { Dw = dw, Rows = rows, List = list, Map = map, DOutput = dOutput, Input = input, InputEnd = inputEnd, First = first, Last = last, Geometry = g };
        Counts.Run(g.KernelSize, ref job);
    }

    private struct Job : ICounted
    {
        public float* Dw, Rows, DOutput, Input, InputEnd;
        public int* List, Map;
        public int First, Last;
        public Conv2DGeometry Geometry;

        public void Run<TK>() where TK : ICount => Kernel<TK>(this);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TK>(in Job job) where TK : ICount
    {
        Conv2DGeometry g = job.Geometry;
        int w = TS.Width, k = TK.Value, filters = g.Filters, channels = g.Channels, width = g.Width, plane = g.OutputPlaneSize;
        int outWidth = g.OutWidth, inputPlane = g.Height * g.Width;
        float* rows = job.Rows;
        int* list = job.List, map = job.Map;
        for (int r = 0; r < filters * channels * k; r++) TS.Store(rows + r * w, TS.Zero);
        for (int p = 0; p < plane; p++) map[p] = p / outWidth * width + p % outWidth;
        TV tail = TS.FirstLanes(k);
        for (int b = job.First; b < job.Last; b++)
        {
            float* x = job.Input + (long)b * g.InputSize;
            for (int f = 0; f < filters; f++)
            {
                float* gradient = job.DOutput + ((long)b * filters + f) * plane;
                int count = 0, j = 0;
                for (; j + w <= plane; j += w) count += TS.AppendNonZeroIndices(TS.Load(gradient + j), j, list + count);
                for (; j < plane; j++) if (BitConverter.SingleToInt32Bits(gradient[j]) != 0) list[count++] = j;
                if (count == 0) continue;
                for (int c = 0; c < channels; c++)
                {
                    float* acc = rows + ((long)f * channels + c) * k * w;
                    ConvPooledGradient<TV, TS>.LoadRows<TK>(acc, out TV a0, out TV a1, out TV a2, out TV a3, out TV a4, out TV a5);
                    TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, b4 = TS.Zero, b5 = TS.Zero;
                    float* xc = x + (long)c * inputPlane;
                    int i = 0;
                    for (; i + 1 < count; i += 2)
                    {
                        int p0 = list[i], p1 = list[i + 1];
                        ConvPooledGradient<TV, TS>.Rows<TK>(xc + map[p0], TS.Broadcast(gradient + p0), width, job.InputEnd, tail, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5);
                        ConvPooledGradient<TV, TS>.Rows<TK>(xc + map[p1], TS.Broadcast(gradient + p1), width, job.InputEnd, tail, ref b0, ref b1, ref b2, ref b3, ref b4, ref b5);
                    }
                    if (i < count)
                        ConvPooledGradient<TV, TS>.Rows<TK>(xc + map[list[i]], TS.Broadcast(gradient + list[i]), width, job.InputEnd, tail, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5);
                    ConvPooledGradient<TV, TS>.StoreRows<TK>(acc, TS.Add(a0, b0), TS.Add(a1, b1), TS.Add(a2, b2), TS.Add(a3, b3), TS.Add(a4, b4), TS.Add(a5, b5));
                }
            }
        }
        for (int r = 0; r < filters * channels * k; r++)
            for (int kx = 0; kx < k; kx++) job.Dw[r * k + kx] = rows[r * w + kx];
    }
}
