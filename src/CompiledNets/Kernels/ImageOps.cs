using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Kernels;

/// <summary>
/// The operations the image kernels are built from at one vector level (short row copies, clears, adds and bias, and the
/// weight-gradient kernel of the convolutions), as static members so that one generic routine compiles to vector code at
/// each width and to plain loops where there is no vector unit.
/// </summary>
internal unsafe interface IImageOps
{
    /// <summary><c>destination[i] = source[i]</c> for i &lt; count.</summary>
    static abstract void Copy(float* destination, float* source, int count);
    /// <summary>
    /// <c>destination[i] = source[i]</c> for <paramref name="lo"/> ≤ i &lt; <paramref name="hi"/> and 0 elsewhere in
    /// [0, <paramref name="total"/>), in whole vectors: it may write zeros up to <see cref="Width"/> − 1 values past
    /// <paramref name="total"/> (the caller has room there, or writes it afterwards), and reads only <c>source[lo, hi)</c>.
    /// </summary>
    static abstract void Window(float* destination, float* source, int lo, int hi, int total);
    /// <summary><c>destination[i] = 0</c> for i &lt; count.</summary>
    static abstract void Clear(float* destination, int count);
    /// <summary><c>destination[i] += source[i]</c> for i &lt; count.</summary>
    static abstract void Add(float* destination, float* source, int count);
    /// <summary><c>destination[i] = source[i] · factor</c> for i &lt; count (the two may be the same row).</summary>
    static abstract void Multiply(float* destination, float* source, int count, float factor);
    /// <summary><c>row[i] = row[i] + bias</c>, then <c>max(·, 0)</c> when <paramref name="relu"/>, for i &lt; count.</summary>
    static abstract void AddBias(float* row, int count, float bias, bool relu);
    /// <summary><c>destination[i] = source[i] + bias</c>, then <c>max(·, 0)</c> when <paramref name="relu"/>, for i &lt; count.</summary>
    static abstract void CopyAddBias(float* destination, float* source, int count, float bias, bool relu);
    /// <summary>A stride-1 convolution's forward pass for one example, the filters in the lanes: see <see cref="ConvFilterVectors{TV, TS}"/>.</summary>
    static abstract void FilterVectorForward(in FilterVectorJob job);
    /// <summary>A stride-1 convolution's forward pass for one example by output rows: see <see cref="ConvRows{TV, TS}"/>.</summary>
    static abstract void RowsForward(in RowsJob job);
    /// <summary>One example's input gradient scattered from a sparse output gradient, or false (nothing written): see <see cref="ConvScatterGradient{TV, TS}"/>.</summary>
    static abstract bool ScatterInputGradient(in ScatterGradientJob job);
    /// <summary>Floats per vector of <see cref="ScatterInputGradient"/> (its buffers' layouts depend on it).</summary>
    static abstract int ScatterWidth { get; }
    /// <summary>A stride-1 convolution's weight gradient over a chunk of examples, the filters in the lanes: see <see cref="ConvFilterVectorGradient{TV, TS}"/>.</summary>
    static abstract void FilterVectorGradient(in FilterVectorGradientJob job);
    /// <summary>
    /// Bias (and ReLU) and max pooling of one example's outputs with the filters in the lanes, [OH·OW, F] →
    /// [PH·PW, F]: each window read row by row, a value replacing the maximum when greater or NaN (as <see cref="MaxPool2D"/>).
    /// </summary>
    static abstract void PoolFilterVectors(float* pooled, float* outputs, float* bias, bool relu, int filters, int outWidth,
        int size, int stride, int pooledHeight, int pooledWidth);
    /// <summary>
    /// <c>destination[q] = Σ_t rows[t · rowLength + q − shifts[t]]</c> for q &lt; count, the terms added in order: the rows
    /// of a product, each shifted by its own offset, summed. Every row must be readable from <c>−shifts[t]</c> to
    /// <c>count − shifts[t] + Width − 1</c>.
    /// </summary>
    static abstract void FoldRows(float* destination, int count, float* rows, nint rowLength, int* shifts, int terms);
    /// <summary>Floats of the lane masks <see cref="FoldOutputRows"/> reads for <paramref name="g"/> (0 for plain loops).</summary>
    static abstract int OutputRowMaskLength(in Conv2DGeometry g);
    /// <summary>Floats of room <see cref="FoldOutputRows"/> needs before the product, and (plus the input width) after it.</summary>
    static abstract int OutputRowProductMargin(in Conv2DGeometry g);
    /// <summary>Writes the lane masks of <see cref="FoldOutputRows"/> for <paramref name="g"/>.</summary>
    static abstract void PrepareOutputRowMasks(float* masks, in Conv2DGeometry g);
    /// <summary>One example's input gradient from the product over its output positions: see <see cref="ConvRowFold"/>.</summary>
    static abstract void FoldOutputRows(float* dx, float* product, float* masks, in Conv2DGeometry g);
    /// <summary>Floats per vector (1 for plain loops): the padding unit of <see cref="FilterGradient"/>'s rows.</summary>
    static abstract int Width { get; }
    /// <summary>The weight gradient of a stride-1 convolution over a chunk of examples: see <see cref="ConvFilterGradient{TV, TS}.Run"/>.</summary>
    static abstract void FilterGradient(in FilterGradientJob job);
}

/// <summary><see cref="IImageOps"/> on whole vectors, the last (partial) vector through a lane mask.</summary>
internal readonly unsafe struct VectorImageOps<TV, TS> : IImageOps where TV : unmanaged where TS : ISimd<TV>
{
    public static int Width => TS.Width;

    public static void FilterGradient(in FilterGradientJob job) => ConvFilterGradient<TV, TS>.Run(job);

    public static void FilterVectorForward(in FilterVectorJob job) => ConvFilterVectors<TV, TS>.Forward(job);

    public static void RowsForward(in RowsJob job) => ConvRows<TV, TS>.Forward(job);

    public static bool ScatterInputGradient(in ScatterGradientJob job) =>
        TS.Width == 16 ? ConvScatterGradient<Vector256<float>, Simd256>.Run(job) : ConvScatterGradient<TV, TS>.Run(job);

    public static int ScatterWidth => TS.Width == 16 ? 8 : TS.Width;

    public static void FilterVectorGradient(in FilterVectorGradientJob job) => ConvFilterVectorGradient<TV, TS>.Run(job);

    public static void PoolFilterVectors(float* pooled, float* outputs, float* bias, bool relu, int filters, int outWidth,
        int size, int stride, int pooledHeight, int pooledWidth)
        => ConvFilterVectors<TV, TS>.Pool(pooled, outputs, bias, relu, filters, outWidth, size, stride, pooledHeight, pooledWidth);

    public static int OutputRowMaskLength(in Conv2DGeometry g) => ConvRowFold<TV, TS>.MaskLength(g);

    public static int OutputRowProductMargin(in Conv2DGeometry g) => ConvRowFold<TV, TS>.ProductMargin(g);

    public static void PrepareOutputRowMasks(float* masks, in Conv2DGeometry g) => ConvRowFold<TV, TS>.PrepareMasks(masks, g);

    public static void FoldOutputRows(float* dx, float* product, float* masks, in Conv2DGeometry g) => ConvRowFold<TV, TS>.Fold(dx, product, masks, g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FoldRows(float* destination, int count, float* rows, nint rowLength, int* shifts, int terms)
    {
        int w = TS.Width, q = 0;
        for (; q + 8 * w <= count; q += 8 * w)
        {
            TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
            for (int t = 0; t < terms; t++)
            {
                float* r = rows + t * rowLength + q - shifts[t];
                a0 = TS.Add(a0, TS.Load(r)); a1 = TS.Add(a1, TS.Load(r + w));
                a2 = TS.Add(a2, TS.Load(r + 2 * w)); a3 = TS.Add(a3, TS.Load(r + 3 * w));
                a4 = TS.Add(a4, TS.Load(r + 4 * w)); a5 = TS.Add(a5, TS.Load(r + 5 * w));
                a6 = TS.Add(a6, TS.Load(r + 6 * w)); a7 = TS.Add(a7, TS.Load(r + 7 * w));
            }
            float* d = destination + q;
            TS.Store(d, a0); TS.Store(d + w, a1); TS.Store(d + 2 * w, a2); TS.Store(d + 3 * w, a3);
            TS.Store(d + 4 * w, a4); TS.Store(d + 5 * w, a5); TS.Store(d + 6 * w, a6); TS.Store(d + 7 * w, a7);
        }
        for (; q < count; q += w)
        {
            TV a = TS.Zero;
            for (int t = 0; t < terms; t++) a = TS.Add(a, TS.Load(rows + t * rowLength + q - shifts[t]));
            if (q + w <= count) TS.Store(destination + q, a);
            else TS.StoreMasked(destination + q, a, TS.FirstLanes(count - q));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* destination, float* source, int count)
    {
        int w = TS.Width, i = 0;
        for (; i + w <= count; i += w) TS.Store(destination + i, TS.Load(source + i));
        if (i < count)
        {
            TV lanes = TS.FirstLanes(count - i);
            TS.StoreMasked(destination + i, TS.LoadMasked(source + i, lanes), lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Window(float* destination, float* source, int lo, int hi, int total)
    {
        int w = TS.Width;
        for (int i = 0; i < total; i += w)
        {
            // Masked loads: zeros in the lanes outside [lo, hi), and no read there.
            TV v = i >= lo && i + w <= hi ? TS.Load(source + i) : TS.LoadMasked(source + i, TS.AndNot(TS.FirstLanes(hi - i), TS.FirstLanes(lo - i)));
            TS.Store(destination + i, v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear(float* destination, int count)
    {
        int w = TS.Width, i = 0;
        for (; i + w <= count; i += w) TS.Store(destination + i, TS.Zero);
        if (i < count) TS.StoreMasked(destination + i, TS.Zero, TS.FirstLanes(count - i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(float* destination, float* source, int count)
    {
        int w = TS.Width, i = 0;
        for (; i + w <= count; i += w) TS.Store(destination + i, TS.Add(TS.Load(destination + i), TS.Load(source + i)));
        if (i < count)
        {
            TV lanes = TS.FirstLanes(count - i);
            TS.StoreMasked(destination + i, TS.Add(TS.LoadMasked(destination + i, lanes), TS.LoadMasked(source + i, lanes)), lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(float* destination, float* source, int count, float factor)
    {
        int w = TS.Width, i = 0;
        TV f = TS.Broadcast(factor);
        for (; i + w <= count; i += w) TS.Store(destination + i, TS.Multiply(TS.Load(source + i), f));
        if (i < count)
        {
            TV lanes = TS.FirstLanes(count - i);
            TS.StoreMasked(destination + i, TS.Multiply(TS.LoadMasked(source + i, lanes), f), lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddBias(float* row, int count, float bias, bool relu) => CopyAddBias(row, row, count, bias, relu);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyAddBias(float* destination, float* source, int count, float bias, bool relu)
    {
        int w = TS.Width, i = 0;
        TV b = TS.Broadcast(bias);
        if (relu)
        {
            for (; i + w <= count; i += w) TS.Store(destination + i, TS.Max(TS.Add(TS.Load(source + i), b), TS.Zero));
        }
        else
        {
            for (; i + w <= count; i += w) TS.Store(destination + i, TS.Add(TS.Load(source + i), b));
        }
        if (i < count)
        {
            TV lanes = TS.FirstLanes(count - i);
            TV z = TS.Add(TS.LoadMasked(source + i, lanes), b);
            TS.StoreMasked(destination + i, relu ? TS.Max(z, TS.Zero) : z, lanes);
        }
    }
}

/// <summary><see cref="IImageOps"/> in plain loops, for machines without an accelerated vector unit.</summary>
internal readonly unsafe struct ScalarImageOps : IImageOps
{
    public static int Width => 1;

    public static void FilterGradient(in FilterGradientJob job) => ConvFilterGradient.RunScalar(job);

    public static int OutputRowMaskLength(in Conv2DGeometry g) => 0;

    public static int OutputRowProductMargin(in Conv2DGeometry g) => 0;

    public static void PrepareOutputRowMasks(float* masks, in Conv2DGeometry g) { }

    /// <summary>Never called: the scalar level keeps the grid input gradient (<c>OutputRowsCheaper</c> is false without vectors).</summary>
    public static void FoldOutputRows(float* dx, float* product, float* masks, in Conv2DGeometry g) =>
        throw new NotSupportedException("The scalar level computes the input gradient on the grid.");

    /// <summary>Never scatters: without vectors the input gradient stays on the grid (<c>Conv2D.Methods</c>).</summary>
    public static bool ScatterInputGradient(in ScatterGradientJob job) => false;

    public static int ScatterWidth => 1;

    /// <summary>Never called: without vectors the forward pass stays on the grid (<c>Conv2D.Methods</c>).</summary>
    public static void RowsForward(in RowsJob job) =>
        throw new NotSupportedException("The scalar level computes the forward pass on the grid.");

    public static void FilterVectorGradient(in FilterVectorGradientJob job)
    {
        int k = job.KernelSize;
        for (int p = 0; p < job.Channels * k * k; p++)
        {
            int offset = p / (k * k) * job.GridPlane + p / k % k * job.GridWidth + p % k;
            for (int f = 0; f < job.Filters; f++)
            {
                float sum = 0f;
                for (int e = 0; e < job.Examples; e++)
                    for (int oy = 0; oy < job.OutHeight; oy++)
                        for (int ox = 0; ox < job.OutWidth; ox++)
                            sum += job.Inputs[e * job.InputStride + offset + oy * job.GridWidth + ox] *
                                job.OutputGradients[e * job.OutputStride + (oy * job.OutWidth + ox) * job.Filters + f];
                float* gradient = job.Gradient + p * job.Filters + f;
                *gradient = job.Accumulate ? *gradient + sum : sum;
            }
        }
    }

    public static void FilterVectorForward(in FilterVectorJob job)
    {
        for (int oy = 0; oy < job.OutHeight; oy++)
            for (int ox = 0; ox < job.OutWidth; ox++)
                for (int f = 0; f < job.Filters; f++)
                {
                    float sum = 0f;
                    for (int t = 0; t < job.Terms; t++)
                        sum += job.Input[job.Offsets[t] + oy * job.GridWidth + ox] * job.Weights[t * job.Filters + f];
                    job.Output[(oy * job.OutWidth + ox) * job.Filters + f] = sum;
                }
    }

    public static void FoldRows(float* destination, int count, float* rows, nint rowLength, int* shifts, int terms)
    {
        for (int q = 0; q < count; q++)
        {
            float sum = 0f;
            for (int t = 0; t < terms; t++) sum += rows[t * rowLength + q - shifts[t]];
            destination[q] = sum;
        }
    }

    public static void Copy(float* destination, float* source, int count)
    {
        for (int i = 0; i < count; i++) destination[i] = source[i];
    }

    public static void Clear(float* destination, int count)
    {
        for (int i = 0; i < count; i++) destination[i] = 0f;
    }

    public static void Window(float* destination, float* source, int lo, int hi, int total)
    {
        for (int i = 0; i < total; i++) destination[i] = i >= lo && i < hi ? source[i] : 0f;
    }

    public static void Add(float* destination, float* source, int count)
    {
        for (int i = 0; i < count; i++) destination[i] += source[i];
    }

    public static void Multiply(float* destination, float* source, int count, float factor)
    {
        for (int i = 0; i < count; i++) destination[i] = source[i] * factor;
    }

    public static void PoolFilterVectors(float* pooled, float* outputs, float* bias, bool relu, int filters, int outWidth,
        int size, int stride, int pooledHeight, int pooledWidth)
    {
        for (int py = 0; py < pooledHeight; py++)
            for (int px = 0; px < pooledWidth; px++)
                for (int f = 0; f < filters; f++)
                {
                    float max = 0;
                    for (int i = 0; i < size; i++)
                        for (int j = 0; j < size; j++)
                        {
                            float z = outputs[((py * stride + i) * outWidth + px * stride + j) * filters + f] + bias[f];
                            if (relu) z = System.Math.Max(z, 0f);
                            if ((i | j) == 0 || z > max || float.IsNaN(z)) max = z;
                        }
                    pooled[(py * pooledWidth + px) * filters + f] = max;
                }
    }

    public static void AddBias(float* row, int count, float bias, bool relu) => CopyAddBias(row, row, count, bias, relu);

    public static void CopyAddBias(float* destination, float* source, int count, float bias, bool relu)
    {
        for (int i = 0; i < count; i++)
        {
            float z = source[i] + bias;
            // Math.Max as the vector Max: IEEE 754 maximum, so NaN stays NaN.
            destination[i] = relu ? System.Math.Max(z, 0f) : z;
        }
    }
}
