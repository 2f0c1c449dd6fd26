using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Kernels;

/// <summary>
/// Two-dimensional max pooling over NCHW spans, without padding: output [batch, C, OH, OW] from input [batch, C, H, W],
/// each output the largest value of its <c>size × size</c> window (windows <c>stride</c> apart). The forward pass records
/// where each maximum was (<c>argmax</c>), and the backward pass sends each output's gradient there.
/// </summary>
/// <remarks>
/// As PyTorch: the window is read row by row, and a value replaces the maximum when it is greater or NaN, so ties keep
/// the first one and a NaN in the window gives NaN (its index that of the last NaN); a window of −∞ gives −∞ at its first
/// index. The common 2 × 2 window with stride 2 runs on 128-bit vectors (4 outputs of a row at a time, on every machine
/// that has vectors), other shapes in plain loops.
/// </remarks>
public static unsafe class MaxPool2D
{
    /// <summary>
    /// <c>output[b, c, oy, ox] = max over the window (oy·stride + i, ox·stride + j), i, j &lt; size</c>, and
    /// <c>argmax[b, c, oy, ox]</c> = the index of that maximum in example b's input, <c>(c · height + y) · width + x</c>.
    /// </summary>
    /// <param name="output">[batch, channels, outHeight, outWidth].</param>
    /// <param name="argmax">[batch, channels, outHeight, outWidth]: where each maximum is, for <see cref="Backward"/>.</param>
    /// <param name="input">[batch, channels, height, width].</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="channels">Planes per example.</param>
    /// <param name="height">Input rows.</param>
    /// <param name="width">Input columns.</param>
    /// <param name="size">Rows and columns of each window.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="outHeight">Output rows: every window must fit, <c>(outHeight − 1) · stride + size &lt;= height</c>.</param>
    /// <param name="outWidth">Output columns, under the same rule.</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 (batch below 0), or a window does not fit in the input.</exception>
    public static void Forward(Span<float> output, Span<int> argmax, ReadOnlySpan<float> input, int batch, int channels, int height,
        int width, int size, int stride, int outHeight, int outWidth)
        => Forward(Simd.Level, output, argmax, input, batch, channels, height, width, size, stride, outHeight, outWidth);

    /// <summary>
    /// <c>dInput = 0</c>, then <c>dInput[b, argmax[b, o]] += dOutput[b, o]</c> for every output o: each gradient goes to
    /// its window's maximum, and where windows overlap the gradients of the same input add up.
    /// </summary>
    /// <param name="dInput">[batch, channels, height, width].</param>
    /// <param name="dOutput">[batch, channels, outHeight, outWidth].</param>
    /// <param name="argmax">[batch, channels, outHeight, outWidth], as <see cref="Forward(Span{float}, Span{int}, ReadOnlySpan{float}, int, int, int, int, int, int, int, int)"/> wrote it: indices in [0, channels · height · width).</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="channels">Planes per example.</param>
    /// <param name="height">Input rows.</param>
    /// <param name="width">Input columns.</param>
    /// <param name="outHeight">Output rows.</param>
    /// <param name="outWidth">Output columns.</param>
    /// <exception cref="ArgumentException">A span is too short, or an index in <paramref name="argmax"/> is outside an example's input (nothing is written then).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 (batch below 0).</exception>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> argmax, int batch, int channels,
        int height, int width, int outHeight, int outWidth)
        => BackwardCore(dInput, dOutput, argmax, default, relu: false, batch, channels, height, width, outHeight, outWidth);

    /// <summary>
    /// <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, int, int, int, int)"/> through the
    /// ReLU before the pooling as well: <c>dInput</c> is the gradient with respect to that ReLU's input. A window's maximum
    /// is its output, so the derivative at the input it came from is <c>output &gt; 0</c>: each gradient goes to its
    /// maximum where the output is positive, and the pass over the whole input that the ReLU's backward would make is left
    /// out (the same values, bit for bit).
    /// </summary>
    /// <param name="dInput">[batch, channels, height, width]: the gradient with respect to the ReLU's input.</param>
    /// <param name="dOutput">[batch, channels, outHeight, outWidth].</param>
    /// <param name="argmax">As for <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, int, int, int, int)"/>.</param>
    /// <param name="output">[batch, channels, outHeight, outWidth]: the pooling's forward output (the maxima).</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="channels">Planes per example.</param>
    /// <param name="height">Input rows.</param>
    /// <param name="width">Input columns.</param>
    /// <param name="outHeight">Output rows.</param>
    /// <param name="outWidth">Output columns.</param>
    /// <exception cref="ArgumentException">A span is too short, or an index in <paramref name="argmax"/> is outside an example's input (nothing is written then).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 (batch below 0).</exception>
    public static void BackwardThroughReLU(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> argmax, ReadOnlySpan<float> output,
        int batch, int channels, int height, int width, int outHeight, int outWidth)
        => BackwardCore(dInput, dOutput, argmax, output, relu: true, batch, channels, height, width, outHeight, outWidth);

    private static void BackwardCore(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> argmax, ReadOnlySpan<float> output,
        bool relu, int batch, int channels, int height, int width, int outHeight, int outWidth)
    {
        CheckSizes(batch, channels, height, width, outHeight, outWidth);
        long inputSize = (long)channels * height * width, outputSize = (long)channels * outHeight * outWidth;
        KernelArguments.Length(dInput.Length, batch * inputSize, nameof(dInput));
        KernelArguments.Length(dOutput.Length, batch * outputSize, nameof(dOutput));
        KernelArguments.Length(argmax.Length, batch * outputSize, nameof(argmax));
        if (relu) KernelArguments.Length(output.Length, batch * outputSize, nameof(output));
        if (batch == 0) return;
        ReadOnlySpan<int> indices = argmax.Slice(0, (int)(batch * outputSize));
        int lowest = TensorPrimitives.Min(indices), highest = TensorPrimitives.Max(indices);
        if (lowest < 0 || highest >= inputSize)
            throw new ArgumentException($"Holds the index {(lowest < 0 ? lowest : highest)}, outside an example's input [0, {inputSize}).", nameof(argmax));
        fixed (float* dx = dInput, dy = dOutput, maxima = output)
        fixed (int* at = argmax)
        {
            float* positive = relu ? maxima : null;
            // 2 × 2 blocks that tile the input (as from 2 × 2 windows with stride 2): when every maximum is in its own
            // output's block, each block is written whole, with nothing to clear or add up.
            if (Simd.Level != SimdLevel.Scalar && height == 2 * outHeight && width == 2 * outWidth &&
                Unpool(dx, dy, at, positive, width, (long)batch * channels * outHeight, outWidth, channels * outHeight))
                return;
            dInput.Slice(0, (int)(batch * inputSize)).Clear();
            Scatter(dx, dy, at, positive, batch, inputSize, outputSize);
        }
    }

    /// <summary><c>dx[b, at[b, o]] += dy[b, o]</c>, in output order (only where <paramref name="positive"/> is, when it is given).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Scatter(float* dx, float* dy, int* at, float* positive, int batch, long inputSize, long outputSize)
    {
        for (int b = 0; b < batch; b++)
        {
            float* target = dx + b * inputSize;
            long first = b * outputSize;
            for (long o = first; o < first + outputSize; o++)
                if (positive == null || positive[o] > 0f) target[at[o]] += dy[o];
        }
    }

    /// <summary><see cref="Forward(Span{float}, Span{int}, ReadOnlySpan{float}, int, int, int, int, int, int, int, int)"/> at a chosen vector level (for tests).</summary>
    internal static void Forward(SimdLevel level, Span<float> output, Span<int> argmax, ReadOnlySpan<float> input, int batch, int channels,
        int height, int width, int size, int stride, int outHeight, int outWidth)
    {
        CheckSizes(batch, channels, height, width, outHeight, outWidth);
        KernelArguments.Positive(size, nameof(size));
        KernelArguments.Positive(stride, nameof(stride));
        if ((long)(outHeight - 1) * stride + size > height)
            throw new ArgumentOutOfRangeException(nameof(outHeight), outHeight, $"The last window would end past row {height - 1}.");
        if ((long)(outWidth - 1) * stride + size > width)
            throw new ArgumentOutOfRangeException(nameof(outWidth), outWidth, $"The last window would end past column {width - 1}.");
        long planes = (long)batch * channels;
        KernelArguments.Length(output.Length, planes * outHeight * outWidth, nameof(output));
        KernelArguments.Length(argmax.Length, planes * outHeight * outWidth, nameof(argmax));
        KernelArguments.Length(input.Length, planes * height * width, nameof(input));
        fixed (float* y = output, x = input)
        fixed (int* at = argmax)
            Forward(level, y, at, x, planes, channels, height, width, size, stride, outHeight, outWidth);
    }

    /// <summary>The forward pass over checked pointers: <paramref name="planes"/> planes, channel = plane mod <paramref name="channels"/>.</summary>
    private static void Forward(SimdLevel level, float* y, int* at, float* x, long planes, int channels, int height, int width,
        int size, int stride, int outHeight, int outWidth)
    {
        bool vector = size == 2 && stride == 2 && level != SimdLevel.Scalar;
        if (vector && MaxPool2DTiles.Applies(level, height, width, outHeight, outWidth))
        {
            MaxPool2DTiles.Forward<MaxPool2DTiles.WithWinners>(level, y, at, x, planes, channels, outHeight, outWidth);
            return;
        }
        if (vector && height == 2 * outHeight)
        {
            // Every row is read: the whole batch is one plane of row pairs.
            Pairs(y, at, x, 0, width, planes * outHeight, outWidth, channels * outHeight);
            return;
        }
        Planes(y, at, x, planes, channels, height, width, size, stride, outHeight, outWidth, vector);
    }

    [ThreadStatic] private static int[]? t_winners;

    /// <summary>
    /// The maxima alone, for inference: <paramref name="y"/> [planes, outHeight, outWidth] from <paramref name="x"/>
    /// [planes, height, width], which may be overwritten; the same values as <see cref="Forward(SimdLevel, float*, int*, float*, long, int, int, int, int, int, int, int)"/>
    /// writes (the same rule, in the same order). Where the full-width tiles apply there are no winners and no other
    /// buffer; elsewhere the winners go to a buffer of the thread and are dropped. Sizes are the caller's to check.
    /// </summary>
    internal static void ForwardValues(SimdLevel level, float* y, float* x, int planes, int height, int width, int size, int stride,
        int outHeight, int outWidth)
    {
        if (size == 2 && stride == 2 && level != SimdLevel.Scalar && MaxPool2DTiles.Applies(level, height, width, outHeight, outWidth))
        {
            MaxPool2DTiles.ForwardValuesInPlace(level, y, x, planes, outHeight, outWidth);
            return;
        }
        fixed (int* at = ThreadBuffers.Ints(ref t_winners, (long)planes * outHeight * outWidth, 256))
            Forward(level, y, at, x, planes, planes, height, width, size, stride, outHeight, outWidth);
    }

    /// <summary><see cref="ForwardValues(SimdLevel, float*, float*, int, int, int, int, int, int, int)"/> over spans (for tests): <paramref name="input"/> may be overwritten.</summary>
    internal static void ForwardValues(SimdLevel level, Span<float> output, Span<float> input, int planes, int height, int width, int size,
        int stride, int outHeight, int outWidth)
    {
        KernelArguments.Length(output.Length, (long)planes * outHeight * outWidth, nameof(output));
        KernelArguments.Length(input.Length, (long)planes * height * width, nameof(input));
        fixed (float* y = output, x = input)
            ForwardValues(level, y, x, planes, height, width, size, stride, outHeight, outWidth);
    }

    /// <summary>Plane by plane; indices count from the start of the example (plane p is its channel p mod channels).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Planes(float* y, int* at, float* x, long planes, int channels, int height, int width, int size, int stride,
        int outHeight, int outWidth, bool pairs)
    {
        for (long plane = 0; plane < planes; plane++)
        {
            int origin = (int)(plane % channels) * height * width;
            float* source = x + plane * height * width;
            float* destination = y + plane * outHeight * outWidth;
            int* where = at + plane * outHeight * outWidth;
            if (pairs) Pairs(destination, where, source, origin, width, outHeight, outWidth, outHeight);
            else Windows(destination, where, source, origin, width, size, stride, outHeight, outWidth);
        }
    }

    /// <summary>Any window, in plain loops: one plane.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Windows(float* y, int* at, float* x, int origin, int width, int size, int stride, int outHeight, int outWidth)
    {
        for (int oy = 0; oy < outHeight; oy++)
        {
            for (int ox = 0; ox < outWidth; ox++, y++, at++)
            {
                int first = oy * stride * width + ox * stride;
                float max = float.NegativeInfinity;
                int index = first;
                for (int i = 0; i < size; i++)
                {
                    float* row = x + first + i * width;
                    for (int j = 0; j < size; j++)
                    {
                        float v = row[j];
                        if (v > max || float.IsNaN(v))
                        {
                            max = v;
                            index = first + i * width + j;
                        }
                    }
                }
                *y = max;
                *at = origin + index;
            }
        }
    }

    /// <summary>
    /// 2 × 2 windows with stride 2 over <paramref name="rows"/> pairs of input rows 2·width apart (one plane, or a whole
    /// batch whose planes have no unread row): four outputs of a row at a time from two rows of eight inputs, split into
    /// their even and odd columns; the four candidates taken in window order under the same rule as <see cref="Windows"/>.
    /// Output row r's indices start at <c>origin + (r mod rowsPerExample) · 2 · width</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Pairs(float* y, int* at, float* x, int origin, int width, long rows, int outWidth, int rowsPerExample)
    {
        Vector128<int> lanes = Vector128.Create(0, 2, 4, 6);
        int inExample = 0;
        for (long oy = 0; oy < rows; oy++, inExample = inExample + 1 == rowsPerExample ? 0 : inExample + 1)
        {
            float* top = x + 2 * oy * width, bottom = top + width;
            int rowIndex = origin + 2 * inExample * width;
            if (outWidth < 4)
            {
                Windows(y + oy * outWidth, at + oy * outWidth, top, rowIndex, width, 2, 2, 1, outWidth);
                continue;
            }
            // Four outputs at a time; a row that is not whole vectors ends with one that overlaps the one before (and
            // writes the same values there again).
            for (int ox = 0; ; ox += 4)
            {
                ox = Math.Min(ox, outWidth - 4);
                (Vector128<float> a, Vector128<float> b) = Split(top + 2 * ox);
                (Vector128<float> c, Vector128<float> d) = Split(bottom + 2 * ox);
                Vector128<int> ia = Vector128.Create(rowIndex + 2 * ox) + lanes;
                // a first: it is the maximum unless a later candidate is greater, or NaN.
                Vector128<float> max = a;
                Vector128<int> index = ia;
                Take(ref max, ref index, b, ia + Vector128<int>.One);
                Take(ref max, ref index, c, ia + Vector128.Create(width));
                Take(ref max, ref index, d, ia + Vector128.Create(width + 1));
                max.Store(y + oy * outWidth + ox);
                index.Store(at + oy * outWidth + ox);
                if (ox == outWidth - 4) break;
            }
        }
    }

    /// <summary>
    /// The backward pass when the input is tiled by 2 × 2 blocks, one per output, over <paramref name="rows"/> rows of
    /// outputs: each block gets its output's gradient at its maximum and zeros elsewhere (<c>0 + g</c>, as the general
    /// pass adds it to a cleared input). Returns false, having written some blocks, at the first maximum outside its block.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool Unpool(float* dx, float* dy, int* at, float* positive, int width, long rows, int outWidth, int rowsPerExample)
    {
        Vector128<int> lanes = Vector128.Create(0, 2, 4, 6), one = Vector128<int>.One;
        Vector128<int> below = Vector128.Create(width), belowRight = Vector128.Create(width + 1);
        int inExample = 0;
        for (long oy = 0; oy < rows; oy++, inExample = inExample + 1 == rowsPerExample ? 0 : inExample + 1)
        {
            float* top = dx + 2 * oy * width, bottom = top + width;
            float* g = dy + oy * outWidth;
            int* where = at + oy * outWidth;
            int rowIndex = 2 * inExample * width;
            int ox = 0;
            // With AVX2, eight outputs at a time first (the 4-lane loop below takes the rest, as it would a whole row).
            if (Simd.Level >= SimdLevel.Vector256)
                for (; ox + 8 <= outWidth; ox += 8)
                {
                    Vector256<float> gradient = Vector256.Load(g + ox);
                    if (positive != null) gradient &= Vector256.GreaterThan(Vector256.Load(positive + oy * outWidth + ox), Vector256<float>.Zero);
                    Vector256<int> offset = Vector256.Load(where + ox) - (Vector256.Create(rowIndex + 2 * ox) + 2 * Vector256<int>.Indices);
                    Vector256<int> a = Vector256.Equals(offset, Vector256<int>.Zero), b = Vector256.Equals(offset, Vector256<int>.One);
                    Vector256<int> c = Vector256.Equals(offset, Vector256.Create(width)), d = Vector256.Equals(offset, Vector256.Create(width + 1));
                    if ((a | b | c | d) != Vector256<int>.AllBitsSet) return false;
                    Interleave(top + 2 * ox, gradient & a.AsSingle(), gradient & b.AsSingle());
                    Interleave(bottom + 2 * ox, gradient & c.AsSingle(), gradient & d.AsSingle());
                }
            // As in Pairs: a row that is not whole vectors ends with one that overlaps (writing the same blocks again).
            for (; outWidth >= 4 && ox < outWidth; ox += 4)
            {
                ox = Math.Min(ox, outWidth - 4);
                Vector128<float> gradient = Vector128.Load(g + ox);
                if (positive != null) gradient &= Vector128.GreaterThan(Vector128.Load(positive + oy * outWidth + ox), Vector128<float>.Zero);
                Vector128<int> offset = Vector128.Load(where + ox) - (Vector128.Create(rowIndex + 2 * ox) + lanes);
                Vector128<int> a = Vector128.Equals(offset, Vector128<int>.Zero), b = Vector128.Equals(offset, one);
                Vector128<int> c = Vector128.Equals(offset, below), d = Vector128.Equals(offset, belowRight);
                if ((a | b | c | d) != Vector128<int>.AllBitsSet) return false;
                Interleave(top + 2 * ox, gradient & a.AsSingle(), gradient & b.AsSingle());
                Interleave(bottom + 2 * ox, gradient & c.AsSingle(), gradient & d.AsSingle());
                if (ox == outWidth - 4)
                {
                    ox = outWidth;
                    break;
                }
            }
            for (; ox < outWidth; ox++)
            {
                int offset = where[ox] - (rowIndex + 2 * ox);
                if (offset != 0 && offset != 1 && offset != width && offset != width + 1) return false;
                float gradient = positive == null || positive[oy * outWidth + ox] > 0f ? g[ox] : 0f;
                top[2 * ox] = offset == 0 ? 0f + gradient : 0f;
                top[2 * ox + 1] = offset == 1 ? 0f + gradient : 0f;
                bottom[2 * ox] = offset == width ? 0f + gradient : 0f;
                bottom[2 * ox + 1] = offset == width + 1 ? 0f + gradient : 0f;
            }
        }
        return true;
    }

    /// <summary>Stores (even0 + 0, odd0 + 0, even1 + 0, …): sixteen values from their even and odd columns (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(float* p, Vector256<float> even, Vector256<float> odd)
    {
        even += Vector256<float>.Zero;
        odd += Vector256<float>.Zero;
        // Within each 128-bit half: (e0 o0 e1 o1 | e4 o4 e5 o5) and (e2 o2 e3 o3 | e6 o6 e7 o7); then the halves in order.
        Vector256<float> low = System.Runtime.Intrinsics.X86.Avx.UnpackLow(even, odd), high = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(even, odd);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(low, high, 0x20).Store(p);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(low, high, 0x31).Store(p + 8);
    }

    /// <summary>Stores (even0 + 0, odd0 + 0, even1 + 0, …): eight values from their even and odd columns (the inverse of <see cref="Split"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(float* p, Vector128<float> even, Vector128<float> odd)
    {
        // + 0 turns −0 into +0, as adding to a cleared input does.
        even += Vector128<float>.Zero;
        odd += Vector128<float>.Zero;
        Vector128<double> e = even.AsDouble(), o = odd.AsDouble();
        Vector128.Shuffle(Vector128.Create(e.GetElement(0), o.GetElement(0)).AsSingle(), Vector128.Create(0, 2, 1, 3)).Store(p);
        Vector128.Shuffle(Vector128.Create(e.GetElement(1), o.GetElement(1)).AsSingle(), Vector128.Create(0, 2, 1, 3)).Store(p + 4);
    }

    /// <summary>Eight consecutive values as their even and odd columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Even, Vector128<float> Odd) Split(float* p)
    {
        // Each half's even columns to its low 64 bits and odd ones to its high 64 bits; then the two halves' low (high)
        // 64 bits together.
        Vector128<double> low = Vector128.Shuffle(Vector128.Load(p), Vector128.Create(0, 2, 1, 3)).AsDouble();
        Vector128<double> high = Vector128.Shuffle(Vector128.Load(p + 4), Vector128.Create(0, 2, 1, 3)).AsDouble();
        return (Vector128.Create(low.GetElement(0), high.GetElement(0)).AsSingle(), Vector128.Create(low.GetElement(1), high.GetElement(1)).AsSingle());
    }

    /// <summary>Where <paramref name="candidate"/> is greater than the maximum, or NaN, it and its index replace them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector128<float> max, ref Vector128<int> index, Vector128<float> candidate, Vector128<int> candidateIndex)
    {
        Vector128<float> take = Vector128.GreaterThan(candidate, max) | ~Vector128.Equals(candidate, candidate);
        max = Vector128.ConditionalSelect(take, candidate, max);
        index = Vector128.ConditionalSelect(take.AsInt32(), candidateIndex, index);
    }

    private static void CheckSizes(int batch, int channels, int height, int width, int outHeight, int outWidth)
    {
        KernelArguments.NotNegative(batch, nameof(batch));
        KernelArguments.Positive(channels, nameof(channels));
        KernelArguments.Positive(height, nameof(height));
        KernelArguments.Positive(width, nameof(width));
        KernelArguments.Positive(outHeight, nameof(outHeight));
        KernelArguments.Positive(outWidth, nameof(outWidth));
        if ((long)channels * height * width > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels × height × width does not fit in an array.");
    }
}
