using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace CompiledNets.Kernels;

/// <summary>
/// The forward pass of 2 × 2 max pooling with stride 2 over inputs that the windows tile exactly (height and width
/// twice the output's), at the full vector width: each window's row pairs first, then its two rows.
/// </summary>
/// <remarks>
/// <para>
/// Because the windows tile the input, the column pairs of every row of every plane lie one after another, so the first
/// stage runs over a run of rows as one flat stream: each vector of pairs is split into its left and right halves (one
/// two-source shuffle each) and the right one is taken when it is greater or NaN, remembering which. The second stage
/// compares the two rows of each window the same way, lane by lane, and writes each output and the index of its input.
/// Taking the row's pairs first and the rows second is the order PyTorch reads a window in (top left, top right, bottom
/// left, bottom right, a value replacing the maximum when greater or NaN): the first maximum wins ties and the last NaN
/// wins, exactly as <see cref="MaxPool2D"/>'s window-by-window path decides.
/// </para>
/// <para>
/// The stages meet in two small buffers on the stack (the pair maxima and which column of the pair won), a chunk of rows
/// at a time, so both stay in L1. Compared with four outputs at a time out of 128-bit shuffles, LeNet's first pool
/// (128 × 6 × 24 × 24) took about a third of the time.
/// </para>
/// </remarks>
internal static unsafe class MaxPool2DTiles
{
    /// <summary>Pair maxima each chunk holds (and as many column flags): 16 KB of stack in all.</summary>
    private const int ChunkPairs = 2048;

    /// <summary>Whether <see cref="Forward"/> takes windows of this shape at this level.</summary>
    public static bool Applies(SimdLevel level, int height, int width, int outHeight, int outWidth) =>
        height == 2 * outHeight && width == 2 * outWidth && width <= ChunkPairs && outWidth >= 4 && level switch
        {
            SimdLevel.Vector512 or SimdLevel.Vector256 => true,
            SimdLevel.Vector128 => Sse.IsSupported || AdvSimd.Arm64.IsSupported,
            _ => false,
        };

    /// <summary>Whether a pass records the winners (a type, so that a pass without them compiles without their stores).</summary>
    public interface IWinners { static abstract bool Record { get; } }
    public readonly struct WithWinners : IWinners { public static bool Record => true; }
    public readonly struct NoWinners : IWinners { public static bool Record => false; }

    /// <summary>
    /// Pools <paramref name="planes"/> planes of [2·outHeight, 2·outWidth] into [outHeight, outWidth] each, writing each
    /// maximum to <paramref name="y"/> and, with <see cref="WithWinners"/>, its index within the example's input (channel,
    /// row, column) to <paramref name="at"/> (unused with <see cref="NoWinners"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TW>(SimdLevel level, float* y, int* at, float* x, long planes, int channels, int outHeight, int outWidth)
        where TW : IWinners
    {
        float* pairs = stackalloc float[ChunkPairs];
        int* columns = stackalloc int[ChunkPairs];
        int width = 2 * outWidth;
        long rows = planes * outHeight;                 // output rows of the whole batch
        int chunkRows = ChunkPairs / width;              // output rows a chunk holds: 2 input rows of outWidth pairs each
        int rowsPerExample = channels * outHeight;
        int inExample = 0;                               // the output row's index within its example (channel, row)
        for (long first = 0; first < rows; first += chunkRows)
        {
            int count = (int)Math.Min(chunkRows, rows - first);
            Pairs<TW>(level, pairs, columns, x + first * 2 * width, count * width);
            float* output = y + first * outWidth;
            int* index = TW.Record ? at + first * outWidth : null;
            for (int r = 0; r < count; r++, output += outWidth, index += TW.Record ? outWidth : 0)
            {
                // The window row's first input within its example is at channel and row 2·inExample, column 0.
                Rows<TW>(level, output, index, pairs + 2 * r * outWidth, columns + 2 * r * outWidth, outWidth, 2 * inExample * width, width);
                if (++inExample == rowsPerExample) inExample = 0;
            }
        }
    }

    /// <summary>
    /// The maxima alone, as <see cref="Forward{TW}"/> computes them, from <paramref name="x"/> [planes, 2·outHeight,
    /// 2·outWidth], which it overwrites: the pair maxima go to its front (each written behind what has been read), so no
    /// other buffer is needed, then each output row takes the greater of its two rows of pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void ForwardValuesInPlace(SimdLevel level, float* y, float* x, long planes, int outHeight, int outWidth)
    {
        long rows = planes * outHeight;
        Pairs<NoWinners>(level, x, null, x, checked((int)(rows * 2 * outWidth)));
        for (long r = 0; r < rows; r++)
            Rows<NoWinners>(level, y + r * outWidth, null, x + 2 * r * outWidth, null, outWidth, 0, 0);
    }

    /// <summary>
    /// For each i &lt; n: the greater of x[2i] and x[2i + 1] (the right one when greater or NaN), and 1 where it was the
    /// right one. <paramref name="pairs"/> may be <paramref name="x"/>: each vector is stored after the ones it replaces were loaded.
    /// </summary>
    private static void Pairs<TW>(SimdLevel level, float* pairs, int* columns, float* x, int n) where TW : IWinners
    {
        int i = 0;
        if (level == SimdLevel.Vector512)
        {
            Vector512<int> evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            Vector512<int> odds = evens + Vector512<int>.One;
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> a = Vector512.Load(x + 2 * i), b = Vector512.Load(x + 2 * i + 16);
                Vector512<float> left = Avx512F.PermuteVar16x32x2(a, evens, b), right = Avx512F.PermuteVar16x32x2(a, odds, b);
                Vector512<float> take = Vector512.GreaterThan(right, left) | ~Vector512.Equals(right, right);
                Vector512.ConditionalSelect(take, right, left).Store(pairs + i);
                if (TW.Record) (take.AsInt32() & Vector512<int>.One).Store(columns + i);
            }
        }
        else if (level == SimdLevel.Vector256)
        {
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> a = Vector256.Load(x + 2 * i), b = Vector256.Load(x + 2 * i + 8);
                // Within each 128-bit half: a's two evens (odds), then b's; then the 64-bit quarters into order.
                Vector256<float> left = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
                Vector256<float> right = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
                Vector256<float> take = Vector256.GreaterThan(right, left) | ~Vector256.Equals(right, right);
                Vector256.ConditionalSelect(take, right, left).Store(pairs + i);
                if (TW.Record) (take.AsInt32() & Vector256<int>.One).Store(columns + i);
            }
        }
        else
        {
            for (; i + 4 <= n; i += 4)
            {
                Vector128<float> a = Vector128.Load(x + 2 * i), b = Vector128.Load(x + 2 * i + 4);
                Vector128<float> left, right;
                if (AdvSimd.Arm64.IsSupported)
                    (left, right) = (AdvSimd.Arm64.UnzipEven(a, b), AdvSimd.Arm64.UnzipOdd(a, b));
                else
                    (left, right) = (Sse.Shuffle(a, b, 0b10_00_10_00), Sse.Shuffle(a, b, 0b11_01_11_01));
                Vector128<float> take = Vector128.GreaterThan(right, left) | ~Vector128.Equals(right, right);
                Vector128.ConditionalSelect(take, right, left).Store(pairs + i);
                if (TW.Record) (take.AsInt32() & Vector128<int>.One).Store(columns + i);
            }
        }
        for (; i < n; i++)
        {
            float left = x[2 * i], right = x[2 * i + 1];
            bool take = right > left || float.IsNaN(right);
            pairs[i] = take ? right : left;
            if (TW.Record) columns[i] = take ? 1 : 0;
        }
    }

    /// <summary>
    /// One output row: the greater of the top and bottom pair maxima (the bottom one when greater or NaN), and its index
    /// <c>origin + (bottom ? width : 0) + 2·column + its pair's column flag</c>. A row that is not whole vectors ends with
    /// a vector that overlaps the one before (writing the same outputs again).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows<TW>(SimdLevel level, float* y, int* at, float* top, int* topColumns, int outWidth, int origin, int width)
        where TW : IWinners
    {
        float* bottom = top + outWidth;
        int* bottomColumns = topColumns + outWidth;
        if (level == SimdLevel.Vector512 && outWidth >= 16)
        {
            Vector512<int> lanes = Vector512<int>.Indices + Vector512<int>.Indices;
            for (int ox = 0; ; ox += 16)
            {
                ox = Math.Min(ox, outWidth - 16);
                Vector512<float> t = Vector512.Load(top + ox), b = Vector512.Load(bottom + ox);
                Vector512<float> take = Vector512.GreaterThan(b, t) | ~Vector512.Equals(b, b);
                Vector512.ConditionalSelect(take, b, t).Store(y + ox);
                if (TW.Record)
                {
                    Vector512<int> column = Vector512.ConditionalSelect(take.AsInt32(),
                        Vector512.Load(bottomColumns + ox) + Vector512.Create(width), Vector512.Load(topColumns + ox));
                    (column + lanes + Vector512.Create(origin + 2 * ox)).Store(at + ox);
                }
                if (ox == outWidth - 16) return;
            }
        }
        if (level is SimdLevel.Vector512 or SimdLevel.Vector256 && outWidth >= 8)
        {
            Vector256<int> lanes = Vector256<int>.Indices + Vector256<int>.Indices;
            for (int ox = 0; ; ox += 8)
            {
                ox = Math.Min(ox, outWidth - 8);
                Vector256<float> t = Vector256.Load(top + ox), b = Vector256.Load(bottom + ox);
                Vector256<float> take = Vector256.GreaterThan(b, t) | ~Vector256.Equals(b, b);
                Vector256.ConditionalSelect(take, b, t).Store(y + ox);
                if (TW.Record)
                {
                    Vector256<int> column = Vector256.ConditionalSelect(take.AsInt32(),
                        Vector256.Load(bottomColumns + ox) + Vector256.Create(width), Vector256.Load(topColumns + ox));
                    (column + lanes + Vector256.Create(origin + 2 * ox)).Store(at + ox);
                }
                if (ox == outWidth - 8) return;
            }
        }
        Vector128<int> lanes4 = Vector128<int>.Indices + Vector128<int>.Indices;
        for (int ox = 0; ; ox += 4)
        {
            ox = Math.Min(ox, outWidth - 4);
            Vector128<float> t = Vector128.Load(top + ox), b = Vector128.Load(bottom + ox);
            Vector128<float> take = Vector128.GreaterThan(b, t) | ~Vector128.Equals(b, b);
            Vector128.ConditionalSelect(take, b, t).Store(y + ox);
            if (TW.Record)
            {
                Vector128<int> column = Vector128.ConditionalSelect(take.AsInt32(),
                    Vector128.Load(bottomColumns + ox) + Vector128.Create(width), Vector128.Load(topColumns + ox));
                (column + lanes4 + Vector128.Create(origin + 2 * ox)).Store(at + ox);
            }
            if (ox == outWidth - 4) return;
        }
    }
}
