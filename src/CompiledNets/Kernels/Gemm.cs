using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace CompiledNets.Kernels;

/// <summary>What is done to each vector of C as it leaves the registers (so C is written once, already finished).</summary>
internal enum GemmFinish : byte
{
    /// <summary>C is the plain product.</summary>
    None,
    /// <summary>
    /// A dense layer's forward pass: <c>C = activation(C + bias)</c>; then, when <see cref="GemmJob.Dropped"/> is set,
    /// <c>Dropped = C ⊙ Mask</c> (or <c>C · Scale</c> without a mask).
    /// </summary>
    Forward,
    /// <summary>
    /// The gradient passed to the layer before: <c>C = C ⊙ Mask</c> (or <c>C · Scale</c>), then times the derivative of
    /// <see cref="GemmJob.Activation"/> at its output <see cref="GemmJob.ActivationOutput"/>.
    /// </summary>
    BackwardInput,
}

/// <summary>
/// One matrix product <c>C[M, N] = A[M, K] · B[K, N]</c> and what to do with its rows, as raw pointers so that it can be
/// handed to another thread without allocating. A is addressed through two strides, so the same kernel multiplies by
/// A (<c>ColumnStride = 1</c>) or by the transpose of a row-major matrix (<c>RowStride = 1</c>).
/// </summary>
internal unsafe struct GemmJob
{
    /// <summary>A(i, p) = A[i · ARowStride + p · AColumnStride].</summary>
    public float* A;
    public nint ARowStride, AColumnStride;
    /// <summary>B(p, j) = B[p · Ldb + j].</summary>
    public float* B;
    public nint Ldb;
    /// <summary>C(i, j) = C[i · Ldc + j]; Mask, Dropped and ActivationOutput share this layout.</summary>
    public float* C;
    public nint Ldc;
    public int M, N, K;
    /// <summary>
    /// Skip the terms p where A(i, p) is zero for every row i of a block. Exact only when every B(p, j) is finite (0 · ∞
    /// is NaN): callers set it only then, so that which terms a tile skips never shows in the result.
    /// </summary>
    public bool SkipZeros;
    public SimdLevel Level;
    public GemmFinish Finish;
    public Activation Activation;
    public float* Bias, Mask, Dropped, ActivationOutput;
    public float Scale;
    /// <summary>
    /// When not null, the terms of the product are these <see cref="TermCount"/> values of p, ascending, in every tile
    /// (instead of 0..K−1, or the non-zero ones): <c>C(i, j) = Σ_t A(i, Terms[t]) · B(Terms[t], j)</c>, and K and
    /// <see cref="SkipZeros"/> are not read. With <c>Ldb = 1</c> and A holding its values at those columns this is a
    /// convolution: row p of B starts at offset p, so the terms pick the input's window offsets (see Conv2D).
    /// Not for the split products (<see cref="Gemm.RunSplitInner"/>) nor a transposed A.
    /// </summary>
    public int* Terms;
    public int TermCount;
}

/// <summary>
/// Register-blocked matrix products, written once over <see cref="ISimd{TV}"/> for every vector width. With 32 vector
/// registers (AVX-512, ARM64) a tile is 6 rows × 4 vectors of C (24 accumulators, 4 vectors of B held while each element
/// of A is broadcast); with 16 (AVX2, SSE) 3 rows × 4 vectors (12 accumulators, the 3 elements of A broadcast and B
/// streamed one vector at a time, so that nothing spills). Rows left over take 3-row tiles (a row may end in a panel of up
/// to 5 vectors where registers allow) and 1-row kernels (up to 16 vectors with 32 registers, 8 otherwise), which read
/// each row of B once, front to back. Bias, activation and dropout (or, backward, the mask and the activation's
/// derivative) are applied to the accumulators as they are stored. The inner dimension is walked through a list of
/// indices that leaves out the terms whose A values are zero in all rows of the tile (image background, ReLU zeros,
/// dropped units). Columns are taken in panels whose part of B fits in half the L2 (<see cref="CacheSizes"/>), so that a
/// weight matrix larger than the cache is read from memory once per product rather than once per tile. Only the last
/// vector of a row goes through a lane mask, so any N works without reading or writing outside the matrices. A
/// transposed A (a layer's input, for its weight gradient) is transposed first, 8 × 8 at a time, so that its rows are
/// contiguous.
/// </summary>
/// <remarks>
/// The tiles were chosen by measurement (<c>dotnet run -c Release --project benchmarks/CompiledNets.Benchmarks -- --kernels</c>,
/// one tile against the other swapped in by hand, AMD EPYC Zen 5, one thread, GFLOP/s of the non-zero terms, median of 9): at 512 bits, 6 × 4 against 3 × 4 gave 99 against 72 on a dense
/// 128 × 1024 × 1024 forward product, 170 against 90 on its weight gradient, 160 against 109 on a 128 × 200 × 100 input
/// gradient, and the same or up to 15% more on Fashion-MNIST images and 50%-sparse hidden layers (fewer zeros are shared
/// by six rows, but each vector of B serves twice as many). At 256 bits (16 registers) the 6 × 2 tile that fits lost
/// up to 25% on image inputs against 3 × 4 and gained under 10% on dense ones, so 3 × 4 stays there; 3 × 4 with B held
/// in registers needs 17 of them and spilled (1.7× slower than streaming B).
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>Rows of C per register tile.</summary>
    public const int TileRows = 3;

    [ThreadStatic] private static int[]? t_list;
    [ThreadStatic] private static float[]? t_transposed;

    /// <summary>
    /// Products of fewer multiply-adds than this (a few microseconds) run on one thread: splitting them costs more in
    /// data moving between cores than it saves.
    /// </summary>
    public const long MinimumSplitWork = 1 << 18;

    /// <summary>Parts a product is split into per thread, when it is split.</summary>
    private const int PartsPerThread = 4;

    /// <summary>
    /// Runs <paramref name="job"/>, its rows split between up to <paramref name="threads"/> threads: in parts of whole
    /// tiles that the threads claim (the calling thread from the first rows, helpers from the last), so that a thread
    /// that starts late leaves its share to the others, and with threads of equal speed each one takes the same rows at
    /// every step. (Splitting by columns instead would have two threads write the same cache line at the boundary of
    /// every row whose width is not a multiple of 16, which costs more than it saves.)
    /// </summary>
    public static void Run(ref GemmJob job, int threads)
    {
        if (job.M <= 0 || job.N <= 0) return;
        if ((long)job.M * job.N * (job.Terms != null ? job.TermCount : job.K) < MinimumSplitWork) threads = 1;
        int blocks = (job.M + TileRows - 1) / TileRows;
        int parts = threads <= 1 ? 1 : Math.Min(blocks, PartsPerThread * Math.Min(threads, KernelThreads.Available));
        if (parts <= 1)
        {
            RunRows(ref job, 0, job.M);
            return;
        }
        fixed (GemmJob* state = &job)
            Workers.Run(threads, parts, &RunPart, state);
    }

    private static void RunPart(void* state, int part, int parts)
    {
        ref GemmJob job = ref *(GemmJob*)state;
        int blocks = (job.M + TileRows - 1) / TileRows;
        int first = (int)((long)blocks * part / parts) * TileRows;
        int last = Math.Min((int)((long)blocks * (part + 1) / parts) * TileRows, job.M);
        if (first < last) RunRows(ref job, first, last);
    }

    /// <summary>
    /// Where a matrix's rows are split between two threads: the first thread owns rows [0, split), the second the rest.
    /// The forward product's inner dimension, the weight gradient's rows and the optimizer's rows of each weight matrix
    /// are all split here, so each core reads and writes the same half of every weight matrix (and of its gradient and
    /// optimizer state) at every step: on machines where a cache line moving between cores is slow, a weight written by
    /// one core and read by the other at every step costs more than the work it splits.
    /// </summary>
    /// <remarks>
    /// The split is rounded down to a multiple of 16 rows, so that when rows are the columns of a row-major matrix (a
    /// batch of inputs, or a transposed weight) both halves start on a cache line whenever the rows do.
    /// </remarks>
    public static int OwnerSplit(int rows) => rows / 2 & ~15;

    /// <summary>
    /// <paramref name="job"/> with its inner dimension split at <see cref="OwnerSplit"/> between two threads: the first sums
    /// the terms [0, split) into C, the second the rest into <paramref name="partial"/> (laid out as C); then the two
    /// are added and finished (bias, activation, dropout), the rows split between the threads. Each thread reads only its
    /// half of B (the weights).
    /// </summary>
    public static void RunSplitInner(ref GemmJob job, float* partial, int threads)
    {
        var state = new SplitState { Job = job, Partial = partial, Split = OwnerSplit(job.K) };
        Workers.Run(threads, 2, &InnerHalf, &state);
        Workers.Run(threads, 2, &SumHalf, &state);
    }

    /// <summary><paramref name="job"/> with its rows split at <see cref="OwnerSplit"/> between two threads.</summary>
    public static void RunSplitRows(ref GemmJob job, int threads)
    {
        var state = new SplitState { Job = job, Split = OwnerSplit(job.M) };
        Workers.Run(threads, 2, &RowHalf, &state);
    }

    private struct SplitState
    {
        public GemmJob Job;
        public float* Partial;
        public int Split;
    }

    private static void InnerHalf(void* state, int part, int parts)
    {
        ref SplitState split = ref *(SplitState*)state;
        GemmJob half = split.Job;
        half.Finish = GemmFinish.None;
        if (part == 0)
        {
            half.K = split.Split;
        }
        else
        {
            half.A += split.Split * half.AColumnStride;
            half.B += split.Split * half.Ldb;
            half.K -= split.Split;
            half.C = split.Partial;
        }
        RunRows(ref half, 0, half.M);
    }

    private static void SumHalf(void* state, int part, int parts)
    {
        ref SplitState split = ref *(SplitState*)state;
        int m = split.Job.M, middle = OwnerSplit(m);
        int first = part == 0 ? 0 : middle, last = part == 0 ? middle : m;
        if (first >= last) return;
        switch (split.Job.Level)
        {
            case SimdLevel.Vector512:
                Kernel<System.Runtime.Intrinsics.Vector512<float>, Simd512>.SumRows(ref split.Job, split.Partial, first, last);
                break;
            case SimdLevel.Vector256:
                Kernel<System.Runtime.Intrinsics.Vector256<float>, Simd256>.SumRows(ref split.Job, split.Partial, first, last);
                break;
            case SimdLevel.Vector128:
                Kernel<System.Runtime.Intrinsics.Vector128<float>, Simd128>.SumRows(ref split.Job, split.Partial, first, last);
                break;
            default:
                ScalarSumRows(ref split.Job, split.Partial, first, last);
                break;
        }
    }

    private static void RowHalf(void* state, int part, int parts)
    {
        ref SplitState split = ref *(SplitState*)state;
        if (part == 0) RunRows(ref split.Job, 0, split.Split);
        else RunRows(ref split.Job, split.Split, split.Job.M);
    }

    /// <summary>Rows [<paramref name="first"/>, <paramref name="last"/>) of the product, on this thread.</summary>
    public static void RunRows(ref GemmJob job, int first, int last)
    {
        switch (job.Level)
        {
            case SimdLevel.Vector512:
                Kernel<System.Runtime.Intrinsics.Vector512<float>, Simd512>.Rows(ref job, first, last);
                break;
            case SimdLevel.Vector256:
                Kernel<System.Runtime.Intrinsics.Vector256<float>, Simd256>.Rows(ref job, first, last);
                break;
            case SimdLevel.Vector128:
                Kernel<System.Runtime.Intrinsics.Vector128<float>, Simd128>.Rows(ref job, first, last);
                break;
            default:
                ScalarRows(ref job, first, last);
                break;
        }
    }

    /// <summary>
    /// The product on spans at a chosen instruction set, for tests: <c>C[m, n] = A · B</c> with A stored [m, k], or [k, m]
    /// when <paramref name="transposedA"/>; the finishing step as in <see cref="GemmJob"/>. Spans are not checked.
    /// </summary>
    internal static void Multiply(SimdLevel level, int threads, Span<float> c, ReadOnlySpan<float> a, bool transposedA,
        ReadOnlySpan<float> b, int m, int n, int k, bool skipZeros, GemmFinish finish, Activation activation,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> mask, Span<float> dropped, ReadOnlySpan<float> activationOutput, float scale)
    {
        fixed (float* pc = c, pa = a, pb = b, pBias = bias, pMask = mask, pDropped = dropped, pY = activationOutput)
        {
            var job = new GemmJob
            {
                A = pa,
                ARowStride = transposedA ? 1 : k,
                AColumnStride = transposedA ? m : 1,
                B = pb, Ldb = n,
                C = pc, Ldc = n,
                M = m, N = n, K = k,
                SkipZeros = skipZeros,
                Level = level,
                Finish = finish,
                Activation = activation,
                Bias = pBias,
                Mask = mask.Length > 0 ? pMask : null,
                Dropped = dropped.Length > 0 ? pDropped : null,
                ActivationOutput = pY,
                Scale = scale,
            };
            if (threads == 1) RunRows(ref job, 0, m);
            else Run(ref job, threads);
        }
    }

    /// <summary>A list of at least <paramref name="length"/> ints for this thread (allocated once, then reused).</summary>
    private static int[] ListBuffer(int length) => ThreadBuffers.Ints(ref t_list, length, 1024);

    /// <summary>A buffer of at least <paramref name="length"/> floats for this thread (allocated once, then reused).</summary>
    internal static float[] TransposeBuffer(int length) => ThreadBuffers.Floats(ref t_transposed, length, 4096);

    /// <summary>Whether the finishing step is done on whole rows after the product rather than in the tiles.</summary>
    private static bool FinishesByRow(ref GemmJob job) =>
        job.Finish == GemmFinish.Forward && !Activations.InRegisters(job.Activation);

    /// <summary>
    /// The kernels for one instruction set. Compiled straight to optimized code (no tiering): unoptimized code does not
    /// inline the vector operations, and would run for the first thousands of calls.
    /// </summary>
    internal static class Kernel<TV, TS> where TV : unmanaged where TS : ISimd<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Rows(ref GemmJob job, int first, int last)
        {
            if (job.ARowStride == 1 && job.AColumnStride != 1 && last - first > 1 && job.K > 0 && job.Terms == null)
            {
                // A is a transpose (A(i, p) = A[p · cs + i], e.g. a layer's input for its weight gradient): the rows of A
                // are strided columns in memory, every p of a row on another page. Transpose this part's rows first.
                int rows = last - first, k = job.K;
                fixed (float* transposed = TransposeBuffer(rows * k))
                {
                    Transpose.Run(job.A + first, job.AColumnStride, transposed, k, k, rows);
                    GemmJob local = job;
                    local.A = transposed - (nint)first * k; // so that row i is at A + i·k
                    local.ARowStride = k;
                    local.AColumnStride = 1;
                    Rows(ref local, first, last);
                }
                return;
            }
            switch (job.Finish)
            {
                case GemmFinish.Forward when !FinishesByRow(ref job):
                    Rows<ForwardFinish>(ref job, first, last);
                    break;
                case GemmFinish.BackwardInput:
                    Rows<BackwardFinish>(ref job, first, last);
                    break;
                default:
                    Rows<PlainFinish>(ref job, first, last);
                    break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Rows<TF>(ref GemmJob job, int first, int last) where TF : IFinish
        {
            int w = TS.Width;
            int vectors = (job.N + w - 1) / w;
            TV all = TS.FirstLanes(w);
            TV tail = TS.FirstLanes(job.N - (vectors - 1) * w);
            bool partial = job.N % w != 0;
            // Columns in panels whose part of B fits in half the L2 (all of them when B does): every tile of rows reads
            // the panel from L2 rather than all of B from memory.
            int panel = CacheSizes.PanelVectors(job.Terms != null ? job.TermCount : job.K, w, vectors);
            bool byRow = FinishesByRow(ref job);
            fixed (int* buffer = job.Terms != null ? null : ListBuffer(job.K + TS.Width))
            {
                int* list = job.Terms != null ? job.Terms : buffer;
                for (int from = 0; from < vectors; from += panel)
                {
                    int to = Math.Min(vectors, from + panel);
                    bool ends = to == vectors;
                    TV last1 = ends ? tail : all;
                    for (int i = first; i < last; i += TileRows)
                    {
                        int rows = Math.Min(TileRows, last - i);
                        if (TS.Registers >= 32 && last - i >= 2 * TileRows)
                        {
                            // Six rows where there are 32 registers: 24 accumulators, each vector of B loaded once for
                            // six rows (see the class remarks for the measurements behind the choice).
                            int count6 = NonZeroTerms(ref job, i, 2 * TileRows, list);
                            if (ends && partial) Block6<TF, Partial>(ref job, i, list, count6, from, to, tail);
                            else Block6<TF, Whole>(ref job, i, list, count6, from, to, last1);
                            if (byRow && ends && from == 0)
                                FinishRowsAfter(ref job, i, 2 * TileRows, vectors, all, tail);
                            i += TileRows;
                            continue;
                        }
                        if (rows == TileRows)
                        {
                            int count = NonZeroTerms(ref job, i, TileRows, list);
                            if (ends && partial) Block<TF, Partial>(ref job, i, list, count, from, to, tail);
                            else Block<TF, Whole>(ref job, i, list, count, from, to, last1);
                        }
                        else
                        {
                            for (int r = i; r < i + rows; r++)
                            {
                                int count = NonZeroTerms(ref job, r, 1, list);
                                Row1<TF>(ref job, r, list, count, from, to, all, last1);
                            }
                        }
                        // One panel: finish the rows while they are still in cache.
                        if (byRow && ends && from == 0)
                            FinishRowsAfter(ref job, i, rows, vectors, all, tail);
                    }
                }
                if (byRow && panel < vectors)
                    FinishRowsAfter(ref job, first, last - first, vectors, all, tail);
            }
        }

        /// <summary>
        /// The indices p in [0, K) where A(i, p) is not zero for some row i in [<paramref name="row"/>, row + rows); all
        /// of them unless the job skips zeros. Returns how many. A job with its own <see cref="GemmJob.Terms"/> (then
        /// <paramref name="list"/>) keeps them.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int NonZeroTerms(ref GemmJob job, int row, int rows, int* list)
        {
            if (job.Terms != null) return job.TermCount; // the list is the job's own
            int k = job.K;
            if (!job.SkipZeros)
            {
                for (int p = 0; p < k; p++) list[p] = p;
                return k;
            }
            int count = 0;
            float* a = job.A + row * job.ARowStride;
            nint rs = job.ARowStride, cs = job.AColumnStride;
            if (cs == 1)
            {
                // Each row is contiguous in p: test a vector of p at a time in every row, then walk the set bits.
                int w = TS.Width;
                for (int p = 0; p < k; p += w)
                {
                    TV any;
                    if (p + w <= k)
                    {
                        any = TS.Load(a + p);
                        for (int r = 1; r < rows; r++) any = TS.Or(any, TS.Load(a + r * rs + p));
                    }
                    else
                    {
                        TV lanes = TS.FirstLanes(k - p);
                        any = TS.LoadMasked(a + p, lanes);
                        for (int r = 1; r < rows; r++) any = TS.Or(any, TS.LoadMasked(a + r * rs + p, lanes));
                    }
                    count += TS.AppendNonZeroIndices(any, p, list + count);
                }
            }
            else if (rs == 1 && rows == 3)
            {
                // The rows are adjacent at each p (A is a transpose): append p, without a branch, when any is not zero.
                for (int p = 0; p < k; p++)
                {
                    int* q = (int*)(a + p * cs);
                    list[count] = p;
                    count += (q[0] | q[1] | q[2]) != 0 ? 1 : 0;
                }
            }
            else
            {
                for (int p = 0; p < k; p++)
                {
                    int* q = (int*)(a + p * cs);
                    int any = 0;
                    for (int r = 0; r < rows; r++) any |= q[r * rs];
                    list[count] = p;
                    count += any != 0 ? 1 : 0;
                }
            }
            return count;
        }

        /// <summary>
        /// Rows i..i+2 of C: panels of 4 vectors, the last panel 1 to 5 vectors; only the last vector of the last panel
        /// goes through the lane mask (<typeparamref name="TLast"/>), the others are whole.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Block<TF, TLast>(ref GemmJob job, int i, int* list, int count, int from, int vectors, TV tail)
            where TF : IFinish where TLast : ILastVector
        {
            int w = TS.Width;
            float* a = job.A + i * job.ARowStride;
            nint rs = job.ARowStride, cs = job.AColumnStride, ldb = job.Ldb;
            nint row = i * job.Ldc;
            int v = from;
            // The last panel takes up to 5 vectors (15 accumulators) where there are 32 registers, up to 4 with 16.
            int widest = TS.Registers >= 32 ? 5 : 4;
            for (; vectors - v > widest; v += 4)
                Tile3x4<TF, Whole>(ref job, a, rs, cs, job.B + v * w, ldb, list, count, row + v * w, v * w, tail);
            float* b = job.B + v * w;
            nint at = row + v * w;
            switch (vectors - v)
            {
                case 1: Tile3x1<TF, TLast>(ref job, a, rs, cs, b, ldb, list, count, at, v * w, tail); break;
                case 2: Tile3x2<TF, TLast>(ref job, a, rs, cs, b, ldb, list, count, at, v * w, tail); break;
                case 3: Tile3x3<TF, TLast>(ref job, a, rs, cs, b, ldb, list, count, at, v * w, tail); break;
                case 4: Tile3x4<TF, TLast>(ref job, a, rs, cs, b, ldb, list, count, at, v * w, tail); break;
                default: Tile3x5<TF, TLast>(ref job, a, rs, cs, b, ldb, list, count, at, v * w, tail); break;
            }
        }

        /// <summary>
        /// Rows i..i+5 (32 registers only): panels of 4 vectors six rows at a time, 24 accumulators, 4 vectors of B and a
        /// broadcast; a last panel of 1 to 3 vectors six rows at a time too (<see cref="Tile6xN"/>), one of 4 or 5 as two
        /// blocks of three rows; all through the same six-row term list.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Block6<TF, TLast>(ref GemmJob job, int i, int* list, int count, int from, int vectors, TV tail)
            where TF : IFinish where TLast : ILastVector
        {
            int w = TS.Width;
            float* a = job.A + i * job.ARowStride;
            nint rs = job.ARowStride, cs = job.AColumnStride, ldb = job.Ldb;
            nint row = i * job.Ldc;
            int v = from;
            for (; vectors - v > 5; v += 4)
                Tile6x4<TF>(ref job, a, rs, cs, job.B + v * w, ldb, list, count, row + v * w, v * w, tail);
            float* b = job.B + v * w;
            switch (vectors - v)
            {
                case 0: break;
                case 1: Tile6xN<TF, TLast, One>(ref job, a, rs, cs, b, ldb, list, count, row + v * w, v * w, tail); break;
                case 2: Tile6xN<TF, TLast, Two>(ref job, a, rs, cs, b, ldb, list, count, row + v * w, v * w, tail); break;
                case 3: Tile6xN<TF, TLast, Three>(ref job, a, rs, cs, b, ldb, list, count, row + v * w, v * w, tail); break;
                default:
                    Block<TF, TLast>(ref job, i, list, count, v, vectors, tail);
                    Block<TF, TLast>(ref job, i + TileRows, list, count, v, vectors, tail);
                    break;
            }
        }

        /// <summary>Vectors per row of a <see cref="Tile6xN"/>, as a type, so that the unused accumulators compile away.</summary>
        internal interface IColumns { static abstract int Count { get; } }
        internal readonly struct One : IColumns { public static int Count => 1; }
        internal readonly struct Two : IColumns { public static int Count => 2; }
        internal readonly struct Three : IColumns { public static int Count => 3; }

        /// <summary>
        /// The last 1 to 3 vectors of six rows (32 registers): up to 18 accumulators; each vector of B serves six rows, twice
        /// as many as in two three-row tiles. The last vector goes through <typeparamref name="TLast"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile6xN<TF, TLast, TN>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish where TLast : ILastVector where TN : IColumns
        {
            int w = TS.Width;
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero;
            TV c30 = TS.Zero, c31 = TS.Zero, c32 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c42 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c52 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                float* pa = a + p * cs;
                TV b0 = TN.Count == 1 ? TLast.Load(pb, lanes) : TS.Load(pb);
                TV b1 = TN.Count == 2 ? TLast.Load(pb + w, lanes) : TN.Count > 2 ? TS.Load(pb + w) : TS.Zero;
                TV b2 = TN.Count == 3 ? TLast.Load(pb + 2 * w, lanes) : TS.Zero;
                Row6xN<TN>(TS.Broadcast(pa), b0, b1, b2, ref c00, ref c01, ref c02);
                Row6xN<TN>(TS.Broadcast(pa + rs), b0, b1, b2, ref c10, ref c11, ref c12);
                Row6xN<TN>(TS.Broadcast(pa + 2 * rs), b0, b1, b2, ref c20, ref c21, ref c22);
                Row6xN<TN>(TS.Broadcast(pa + 3 * rs), b0, b1, b2, ref c30, ref c31, ref c32);
                Row6xN<TN>(TS.Broadcast(pa + 4 * rs), b0, b1, b2, ref c40, ref c41, ref c42);
                Row6xN<TN>(TS.Broadcast(pa + 5 * rs), b0, b1, b2, ref c50, ref c51, ref c52);
            }
            nint ldc = job.Ldc;
            StoreRowN<TF, TLast, TN>(ref job, at, column, c00, c01, c02, lanes); at += ldc;
            StoreRowN<TF, TLast, TN>(ref job, at, column, c10, c11, c12, lanes); at += ldc;
            StoreRowN<TF, TLast, TN>(ref job, at, column, c20, c21, c22, lanes); at += ldc;
            StoreRowN<TF, TLast, TN>(ref job, at, column, c30, c31, c32, lanes); at += ldc;
            StoreRowN<TF, TLast, TN>(ref job, at, column, c40, c41, c42, lanes); at += ldc;
            StoreRowN<TF, TLast, TN>(ref job, at, column, c50, c51, c52, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row6xN<TN>(TV x, TV b0, TV b1, TV b2, ref TV c0, ref TV c1, ref TV c2) where TN : IColumns
        {
            c0 = TS.MultiplyAdd(x, b0, c0);
            if (TN.Count >= 2) c1 = TS.MultiplyAdd(x, b1, c1);
            if (TN.Count >= 3) c2 = TS.MultiplyAdd(x, b2, c2);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRowN<TF, TLast, TN>(ref GemmJob job, nint at, nint column, TV c0, TV c1, TV c2, TV lanes)
            where TF : IFinish where TLast : ILastVector where TN : IColumns
        {
            int w = TS.Width;
            if (TN.Count == 1)
            {
                TF.Store<TLast>(ref job, at, column, c0, lanes);
                return;
            }
            TF.Store<Whole>(ref job, at, column, c0, lanes);
            if (TN.Count == 2)
            {
                TF.Store<TLast>(ref job, at + w, column + w, c1, lanes);
                return;
            }
            TF.Store<Whole>(ref job, at + w, column + w, c1, lanes);
            TF.Store<TLast>(ref job, at + 2 * w, column + 2 * w, c2, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile6x4<TF>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish
        {
            int w = TS.Width;
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c03 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero, c13 = TS.Zero;
            TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c23 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero, c32 = TS.Zero, c33 = TS.Zero;
            TV c40 = TS.Zero, c41 = TS.Zero, c42 = TS.Zero, c43 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c52 = TS.Zero, c53 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                float* pa = a + p * cs;
                TV b0 = TS.Load(pb), b1 = TS.Load(pb + w), b2 = TS.Load(pb + 2 * w), b3 = TS.Load(pb + 3 * w);
                TV x = TS.Broadcast(pa);
                c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01); c02 = TS.MultiplyAdd(x, b2, c02); c03 = TS.MultiplyAdd(x, b3, c03);
                x = TS.Broadcast(pa + rs);
                c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11); c12 = TS.MultiplyAdd(x, b2, c12); c13 = TS.MultiplyAdd(x, b3, c13);
                x = TS.Broadcast(pa + 2 * rs);
                c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21); c22 = TS.MultiplyAdd(x, b2, c22); c23 = TS.MultiplyAdd(x, b3, c23);
                x = TS.Broadcast(pa + 3 * rs);
                c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31); c32 = TS.MultiplyAdd(x, b2, c32); c33 = TS.MultiplyAdd(x, b3, c33);
                x = TS.Broadcast(pa + 4 * rs);
                c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41); c42 = TS.MultiplyAdd(x, b2, c42); c43 = TS.MultiplyAdd(x, b3, c43);
                x = TS.Broadcast(pa + 5 * rs);
                c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51); c52 = TS.MultiplyAdd(x, b2, c52); c53 = TS.MultiplyAdd(x, b3, c53);
            }
            nint ldc = job.Ldc;
            StoreRow4<TF>(ref job, at, column, c00, c01, c02, c03, lanes); at += ldc;
            StoreRow4<TF>(ref job, at, column, c10, c11, c12, c13, lanes); at += ldc;
            StoreRow4<TF>(ref job, at, column, c20, c21, c22, c23, lanes); at += ldc;
            StoreRow4<TF>(ref job, at, column, c30, c31, c32, c33, lanes); at += ldc;
            StoreRow4<TF>(ref job, at, column, c40, c41, c42, c43, lanes); at += ldc;
            StoreRow4<TF>(ref job, at, column, c50, c51, c52, c53, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow4<TF>(ref GemmJob job, nint at, nint column, TV c0, TV c1, TV c2, TV c3, TV lanes) where TF : IFinish
        {
            int w = TS.Width;
            TF.Store<Whole>(ref job, at, column, c0, lanes); TF.Store<Whole>(ref job, at + w, column + w, c1, lanes);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c2, lanes); TF.Store<Whole>(ref job, at + 3 * w, column + 3 * w, c3, lanes);
        }

        /// <summary>One row of C, in panels of 8, 4, 2 and 1 vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Row1<TF>(ref GemmJob job, int i, int* list, int count, int from, int vectors, TV all, TV tail)
            where TF : IFinish
        {
            int w = TS.Width;
            float* a = job.A + i * job.ARowStride;
            nint cs = job.AColumnStride, ldb = job.Ldb;
            nint row = i * job.Ldc;
            int v = from;
            while (v < vectors)
            {
                int left = vectors - v;
                if (left >= 9 && TS.FastMaskedMemory && TS.Registers >= 32)
                {
                    // Up to 16 vectors in one pass: each row of B is read once, front to back, which is what matters
                    // when B streams from L2 for a single row of A (one-image inference).
                    int wide = Math.Min(16, left);
                    Tile1x16<TF>(ref job, a, cs, job.B + v * w, ldb, list, count, row + v * w, v * w, wide, wide == left ? tail : all);
                    v += wide;
                    continue;
                }
                int take = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
                TV last = take == left ? tail : all;
                float* b = job.B + v * w;
                switch (take)
                {
                    case 8: Tile1x8<TF>(ref job, a, cs, b, ldb, list, count, row + v * w, v * w, last); break;
                    case 4: Tile1x4<TF>(ref job, a, cs, b, ldb, list, count, row + v * w, v * w, last); break;
                    case 2: Tile1x2<TF>(ref job, a, cs, b, ldb, list, count, row + v * w, v * w, last); break;
                    default: Tile1x1<TF>(ref job, a, cs, b, ldb, list, count, row + v * w, v * w, last); break;
                }
                v += take;
            }
        }

        /// <summary>How the last vector of a tile's rows is loaded and stored.</summary>
        internal interface ILastVector
        {
            static abstract TV Load(float* p, TV lanes);
            static abstract void Store(float* p, TV v, TV lanes);
        }

        /// <summary>A whole vector: the lane mask is not needed.</summary>
        internal readonly struct Whole : ILastVector
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Load(float* p, TV lanes) => TS.Load(p);
            [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, TV v, TV lanes) => TS.Store(p, v);
        }

        /// <summary>The partial vector at the end of a row: only the lanes in the mask are touched.</summary>
        internal readonly struct Partial : ILastVector
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Load(float* p, TV lanes) => TS.LoadMasked(p, lanes);
            [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, TV v, TV lanes) => TS.StoreMasked(p, v, lanes);
        }

        /// <summary>
        /// Writes one vector of C, finished: <c>at</c> is its element offset in C (and in Mask, Dropped and
        /// ActivationOutput), <c>column</c> the column of its first lane.
        /// </summary>
        internal interface IFinish
        {
            static abstract void Store<TL>(ref GemmJob job, nint at, nint column, TV acc, TV lanes) where TL : ILastVector;
        }

        /// <summary>The product as it is.</summary>
        internal readonly struct PlainFinish : IFinish
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Store<TL>(ref GemmJob job, nint at, nint column, TV acc, TV lanes) where TL : ILastVector => TL.Store(job.C + at, acc, lanes);
        }

        /// <summary>Bias, then ReLU (or nothing), then the dropout copy: mask or inference scale.</summary>
        internal readonly struct ForwardFinish : IFinish
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Store<TL>(ref GemmJob job, nint at, nint column, TV acc, TV lanes) where TL : ILastVector
            {
                TV z = ActivationMath<TV, TS>.Forward(job.Activation, TS.Add(acc, TL.Load(job.Bias + column, lanes)));
                TL.Store(job.C + at, z, lanes);
                if (job.Dropped == null) return;
                TV kept = job.Mask != null ? TS.Multiply(z, TL.Load(job.Mask + at, lanes)) : TS.Multiply(z, TS.Broadcast(job.Scale));
                TL.Store(job.Dropped + at, kept, lanes);
            }
        }

        /// <summary>Mask (or scale), then the derivative of the activation at its output.</summary>
        internal readonly struct BackwardFinish : IFinish
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Store<TL>(ref GemmJob job, nint at, nint column, TV acc, TV lanes) where TL : ILastVector
            {
                TV g = acc;
                if (job.Mask != null) g = TS.Multiply(g, TL.Load(job.Mask + at, lanes));
                else if (job.Scale != 1f) g = TS.Multiply(g, TS.Broadcast(job.Scale));
                // The dispatch stays here, as statements, so that each case inlines to a few instructions (one call of a
                // switch expression per vector made the ReLU case 3× slower). Without an activation there is no output to
                // read (its pointer is null).
                switch (job.Activation)
                {
                    case Activation.ReLU: g = ActivationMath<TV, TS>.ReLUBackward(g, TL.Load(job.ActivationOutput + at, lanes)); break;
                    case Activation.Tanh: g = ActivationMath<TV, TS>.TanhBackward(g, TL.Load(job.ActivationOutput + at, lanes)); break;
                    case Activation.Sigmoid: g = ActivationMath<TV, TS>.SigmoidBackward(g, TL.Load(job.ActivationOutput + at, lanes)); break;
                    case Activation.SELU: g = ActivationMath<TV, TS>.SELUBackward(g, TL.Load(job.ActivationOutput + at, lanes)); break;
                }
                TL.Store(job.C + at, g, lanes);
            }
        }

        // The tiles. A(r, p) = a[r·rs + p·cs], B(p, ·) = b + p·ldb, p taken from the list; `at` is the offset of the
        // tile's first element in C. The last vector of each row goes through TLast.

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile3x5<TF, TLast>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish where TLast : ILastVector
        {
            int w = TS.Width;
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c03 = TS.Zero, c04 = TS.Zero;
            TV c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero, c13 = TS.Zero, c14 = TS.Zero;
            TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c23 = TS.Zero, c24 = TS.Zero;
            nint rs2 = rs + rs;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                float* pa = a + p * cs;
                TV x0 = TS.Broadcast(pa), x1 = TS.Broadcast(pa + rs), x2 = TS.Broadcast(pa + rs2);
                TV bv = TS.Load(pb);
                c00 = TS.MultiplyAdd(x0, bv, c00); c10 = TS.MultiplyAdd(x1, bv, c10); c20 = TS.MultiplyAdd(x2, bv, c20);
                bv = TS.Load(pb + w);
                c01 = TS.MultiplyAdd(x0, bv, c01); c11 = TS.MultiplyAdd(x1, bv, c11); c21 = TS.MultiplyAdd(x2, bv, c21);
                bv = TS.Load(pb + 2 * w);
                c02 = TS.MultiplyAdd(x0, bv, c02); c12 = TS.MultiplyAdd(x1, bv, c12); c22 = TS.MultiplyAdd(x2, bv, c22);
                bv = TS.Load(pb + 3 * w);
                c03 = TS.MultiplyAdd(x0, bv, c03); c13 = TS.MultiplyAdd(x1, bv, c13); c23 = TS.MultiplyAdd(x2, bv, c23);
                bv = TLast.Load(pb + 4 * w, lanes);
                c04 = TS.MultiplyAdd(x0, bv, c04); c14 = TS.MultiplyAdd(x1, bv, c14); c24 = TS.MultiplyAdd(x2, bv, c24);
            }
            nint ldc = job.Ldc;
            TF.Store<Whole>(ref job, at, column, c00, lanes); TF.Store<Whole>(ref job, at + w, column + w, c01, lanes); TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c02, lanes);
            TF.Store<Whole>(ref job, at + 3 * w, column + 3 * w, c03, lanes); TF.Store<TLast>(ref job, at + 4 * w, column + 4 * w, c04, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c10, lanes); TF.Store<Whole>(ref job, at + w, column + w, c11, lanes); TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c12, lanes);
            TF.Store<Whole>(ref job, at + 3 * w, column + 3 * w, c13, lanes); TF.Store<TLast>(ref job, at + 4 * w, column + 4 * w, c14, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c20, lanes); TF.Store<Whole>(ref job, at + w, column + w, c21, lanes); TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c22, lanes);
            TF.Store<Whole>(ref job, at + 3 * w, column + 3 * w, c23, lanes); TF.Store<TLast>(ref job, at + 4 * w, column + 4 * w, c24, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile3x4<TF, TLast>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish where TLast : ILastVector
        {
            int w = TS.Width;
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c03 = TS.Zero;
            TV c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero, c13 = TS.Zero;
            TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c23 = TS.Zero;
            nint rs2 = rs + rs;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                float* pa = a + p * cs;
                if (TS.Registers >= 32)
                {
                    // 12 accumulators, 4 vectors of B and a broadcast: 17 registers.
                    TV b0 = TS.Load(pb), b1 = TS.Load(pb + w), b2 = TS.Load(pb + 2 * w), b3 = TLast.Load(pb + 3 * w, lanes);
                    TV x = TS.Broadcast(pa);
                    c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01); c02 = TS.MultiplyAdd(x, b2, c02); c03 = TS.MultiplyAdd(x, b3, c03);
                    x = TS.Broadcast(pa + rs);
                    c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11); c12 = TS.MultiplyAdd(x, b2, c12); c13 = TS.MultiplyAdd(x, b3, c13);
                    x = TS.Broadcast(pa + rs2);
                    c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21); c22 = TS.MultiplyAdd(x, b2, c22); c23 = TS.MultiplyAdd(x, b3, c23);
                }
                else
                {
                    // 16 registers: 12 accumulators, 3 broadcasts and one vector of B at a time.
                    TV x0 = TS.Broadcast(pa), x1 = TS.Broadcast(pa + rs), x2 = TS.Broadcast(pa + rs2);
                    TV bv = TS.Load(pb);
                    c00 = TS.MultiplyAdd(x0, bv, c00); c10 = TS.MultiplyAdd(x1, bv, c10); c20 = TS.MultiplyAdd(x2, bv, c20);
                    bv = TS.Load(pb + w);
                    c01 = TS.MultiplyAdd(x0, bv, c01); c11 = TS.MultiplyAdd(x1, bv, c11); c21 = TS.MultiplyAdd(x2, bv, c21);
                    bv = TS.Load(pb + 2 * w);
                    c02 = TS.MultiplyAdd(x0, bv, c02); c12 = TS.MultiplyAdd(x1, bv, c12); c22 = TS.MultiplyAdd(x2, bv, c22);
                    bv = TLast.Load(pb + 3 * w, lanes);
                    c03 = TS.MultiplyAdd(x0, bv, c03); c13 = TS.MultiplyAdd(x1, bv, c13); c23 = TS.MultiplyAdd(x2, bv, c23);
                }
            }
            nint ldc = job.Ldc;
            TF.Store<Whole>(ref job, at, column, c00, lanes); TF.Store<Whole>(ref job, at + w, column + w, c01, lanes);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c02, lanes); TF.Store<TLast>(ref job, at + 3 * w, column + 3 * w, c03, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c10, lanes); TF.Store<Whole>(ref job, at + w, column + w, c11, lanes);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c12, lanes); TF.Store<TLast>(ref job, at + 3 * w, column + 3 * w, c13, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c20, lanes); TF.Store<Whole>(ref job, at + w, column + w, c21, lanes);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c22, lanes); TF.Store<TLast>(ref job, at + 3 * w, column + 3 * w, c23, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile3x3<TF, TLast>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish where TLast : ILastVector
        {
            int w = TS.Width;
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero;
            TV c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero;
            TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero;
            nint rs2 = rs + rs;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                float* pa = a + p * cs;
                TV b0 = TS.Load(pb), b1 = TS.Load(pb + w), b2 = TLast.Load(pb + 2 * w, lanes);
                TV x = TS.Broadcast(pa);
                c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01); c02 = TS.MultiplyAdd(x, b2, c02);
                x = TS.Broadcast(pa + rs);
                c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11); c12 = TS.MultiplyAdd(x, b2, c12);
                x = TS.Broadcast(pa + rs2);
                c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21); c22 = TS.MultiplyAdd(x, b2, c22);
            }
            nint ldc = job.Ldc;
            TF.Store<Whole>(ref job, at, column, c00, lanes); TF.Store<Whole>(ref job, at + w, column + w, c01, lanes); TF.Store<TLast>(ref job, at + 2 * w, column + 2 * w, c02, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c10, lanes); TF.Store<Whole>(ref job, at + w, column + w, c11, lanes); TF.Store<TLast>(ref job, at + 2 * w, column + 2 * w, c12, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c20, lanes); TF.Store<Whole>(ref job, at + w, column + w, c21, lanes); TF.Store<TLast>(ref job, at + 2 * w, column + 2 * w, c22, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile3x2<TF, TLast>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish where TLast : ILastVector
        {
            int w = TS.Width;
            TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero;
            nint rs2 = rs + rs;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                float* pa = a + p * cs;
                TV b0 = TS.Load(pb), b1 = TLast.Load(pb + w, lanes);
                TV x = TS.Broadcast(pa);
                c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
                x = TS.Broadcast(pa + rs);
                c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
                x = TS.Broadcast(pa + rs2);
                c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            }
            nint ldc = job.Ldc;
            TF.Store<Whole>(ref job, at, column, c00, lanes); TF.Store<TLast>(ref job, at + w, column + w, c01, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c10, lanes); TF.Store<TLast>(ref job, at + w, column + w, c11, lanes); at += ldc;
            TF.Store<Whole>(ref job, at, column, c20, lanes); TF.Store<TLast>(ref job, at + w, column + w, c21, lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile3x1<TF, TLast>(ref GemmJob job, float* a, nint rs, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV lanes)
            where TF : IFinish where TLast : ILastVector
        {
            TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero;
            nint rs2 = rs + rs;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                TV b0 = TLast.Load(b + p * ldb, lanes);
                float* pa = a + p * cs;
                c0 = TS.MultiplyAdd(TS.Broadcast(pa), b0, c0);
                c1 = TS.MultiplyAdd(TS.Broadcast(pa + rs), b0, c1);
                c2 = TS.MultiplyAdd(TS.Broadcast(pa + rs2), b0, c2);
            }
            nint ldc = job.Ldc;
            TF.Store<TLast>(ref job, at, column, c0, lanes);
            TF.Store<TLast>(ref job, at + ldc, column, c1, lanes);
            TF.Store<TLast>(ref job, at + 2 * ldc, column, c2, lanes);
        }

        // One-row tiles: the last vector always goes through the mask it is given (all lanes unless it ends the row).

        /// <summary>
        /// One row, 9 to 16 vectors (<paramref name="vectors"/>): the first 8 whole, the others through lane masks that
        /// are all-true, end the row (<paramref name="last"/>), or are empty (vectors past the end, whose loads touch no
        /// memory and whose accumulators are not stored).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile1x16<TF>(ref GemmJob job, float* a, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, int vectors, TV last)
            where TF : IFinish
        {
            int w = TS.Width;
            TV all = TS.FirstLanes(w);
            TV m8 = Lanes(8, vectors, all, last), m9 = Lanes(9, vectors, all, last), m10 = Lanes(10, vectors, all, last), m11 = Lanes(11, vectors, all, last);
            TV m12 = Lanes(12, vectors, all, last), m13 = Lanes(13, vectors, all, last), m14 = Lanes(14, vectors, all, last), m15 = Lanes(15, vectors, all, last);
            TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero, c6 = TS.Zero, c7 = TS.Zero;
            TV c8 = TS.Zero, c9 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero, c13 = TS.Zero, c14 = TS.Zero, c15 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                TV x = TS.Broadcast(a + p * cs);
                c0 = TS.MultiplyAdd(x, TS.Load(pb), c0);
                c1 = TS.MultiplyAdd(x, TS.Load(pb + w), c1);
                c2 = TS.MultiplyAdd(x, TS.Load(pb + 2 * w), c2);
                c3 = TS.MultiplyAdd(x, TS.Load(pb + 3 * w), c3);
                c4 = TS.MultiplyAdd(x, TS.Load(pb + 4 * w), c4);
                c5 = TS.MultiplyAdd(x, TS.Load(pb + 5 * w), c5);
                c6 = TS.MultiplyAdd(x, TS.Load(pb + 6 * w), c6);
                c7 = TS.MultiplyAdd(x, TS.Load(pb + 7 * w), c7);
                c8 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 8 * w, m8), c8);
                c9 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 9 * w, m9), c9);
                c10 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 10 * w, m10), c10);
                c11 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 11 * w, m11), c11);
                c12 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 12 * w, m12), c12);
                c13 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 13 * w, m13), c13);
                c14 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 14 * w, m14), c14);
                c15 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 15 * w, m15), c15);
            }
            TF.Store<Whole>(ref job, at, column, c0, all); TF.Store<Whole>(ref job, at + w, column + w, c1, all);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c2, all); TF.Store<Whole>(ref job, at + 3 * w, column + 3 * w, c3, all);
            TF.Store<Whole>(ref job, at + 4 * w, column + 4 * w, c4, all); TF.Store<Whole>(ref job, at + 5 * w, column + 5 * w, c5, all);
            TF.Store<Whole>(ref job, at + 6 * w, column + 6 * w, c6, all); TF.Store<Whole>(ref job, at + 7 * w, column + 7 * w, c7, all);
            TF.Store<Partial>(ref job, at + 8 * w, column + 8 * w, c8, m8);
            if (vectors > 9) TF.Store<Partial>(ref job, at + 9 * w, column + 9 * w, c9, m9);
            if (vectors > 10) TF.Store<Partial>(ref job, at + 10 * w, column + 10 * w, c10, m10);
            if (vectors > 11) TF.Store<Partial>(ref job, at + 11 * w, column + 11 * w, c11, m11);
            if (vectors > 12) TF.Store<Partial>(ref job, at + 12 * w, column + 12 * w, c12, m12);
            if (vectors > 13) TF.Store<Partial>(ref job, at + 13 * w, column + 13 * w, c13, m13);
            if (vectors > 14) TF.Store<Partial>(ref job, at + 14 * w, column + 14 * w, c14, m14);
            if (vectors > 15) TF.Store<Partial>(ref job, at + 15 * w, column + 15 * w, c15, m15);
        }

        /// <summary>The lane mask of vector <paramref name="index"/> of a <paramref name="vectors"/>-vector tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Lanes(int index, int vectors, TV all, TV last) =>
            index < vectors - 1 ? all : index == vectors - 1 ? last : TS.Zero;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile1x8<TF>(ref GemmJob job, float* a, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV last)
            where TF : IFinish
        {
            int w = TS.Width;
            TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero, c6 = TS.Zero, c7 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                TV x = TS.Broadcast(a + p * cs);
                c0 = TS.MultiplyAdd(x, TS.Load(pb), c0);
                c1 = TS.MultiplyAdd(x, TS.Load(pb + w), c1);
                c2 = TS.MultiplyAdd(x, TS.Load(pb + 2 * w), c2);
                c3 = TS.MultiplyAdd(x, TS.Load(pb + 3 * w), c3);
                c4 = TS.MultiplyAdd(x, TS.Load(pb + 4 * w), c4);
                c5 = TS.MultiplyAdd(x, TS.Load(pb + 5 * w), c5);
                c6 = TS.MultiplyAdd(x, TS.Load(pb + 6 * w), c6);
                c7 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 7 * w, last), c7);
            }
            TF.Store<Whole>(ref job, at, column, c0, last); TF.Store<Whole>(ref job, at + w, column + w, c1, last);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c2, last); TF.Store<Whole>(ref job, at + 3 * w, column + 3 * w, c3, last);
            TF.Store<Whole>(ref job, at + 4 * w, column + 4 * w, c4, last); TF.Store<Whole>(ref job, at + 5 * w, column + 5 * w, c5, last);
            TF.Store<Whole>(ref job, at + 6 * w, column + 6 * w, c6, last); TF.Store<Partial>(ref job, at + 7 * w, column + 7 * w, c7, last);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile1x4<TF>(ref GemmJob job, float* a, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV last)
            where TF : IFinish
        {
            int w = TS.Width;
            TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                TV x = TS.Broadcast(a + p * cs);
                c0 = TS.MultiplyAdd(x, TS.Load(pb), c0);
                c1 = TS.MultiplyAdd(x, TS.Load(pb + w), c1);
                c2 = TS.MultiplyAdd(x, TS.Load(pb + 2 * w), c2);
                c3 = TS.MultiplyAdd(x, TS.LoadMasked(pb + 3 * w, last), c3);
            }
            TF.Store<Whole>(ref job, at, column, c0, last); TF.Store<Whole>(ref job, at + w, column + w, c1, last);
            TF.Store<Whole>(ref job, at + 2 * w, column + 2 * w, c2, last); TF.Store<Partial>(ref job, at + 3 * w, column + 3 * w, c3, last);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile1x2<TF>(ref GemmJob job, float* a, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV last)
            where TF : IFinish
        {
            int w = TS.Width;
            TV c0 = TS.Zero, c1 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                float* pb = b + p * ldb;
                TV x = TS.Broadcast(a + p * cs);
                c0 = TS.MultiplyAdd(x, TS.Load(pb), c0);
                c1 = TS.MultiplyAdd(x, TS.LoadMasked(pb + w, last), c1);
            }
            TF.Store<Whole>(ref job, at, column, c0, last); TF.Store<Partial>(ref job, at + w, column + w, c1, last);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile1x1<TF>(ref GemmJob job, float* a, nint cs, float* b, nint ldb, int* list, int count, nint at, nint column, TV last)
            where TF : IFinish
        {
            TV c0 = TS.Zero;
            for (int t = 0; t < count; t++)
            {
                nint p = list[t];
                c0 = TS.MultiplyAdd(TS.Broadcast(a + p * cs), TS.LoadMasked(b + p * ldb, last), c0);
            }
            TF.Store<Partial>(ref job, at, column, c0, last);
        }

        /// <summary>Rows [first, last): C = C + partial, then finished as the tiles finish their vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void SumRows(ref GemmJob job, float* partial, int first, int last)
        {
            switch (job.Finish)
            {
                case GemmFinish.Forward when !FinishesByRow(ref job):
                    SumRows<ForwardFinish>(ref job, partial, first, last);
                    break;
                case GemmFinish.BackwardInput:
                    SumRows<BackwardFinish>(ref job, partial, first, last);
                    break;
                default:
                    SumRows<PlainFinish>(ref job, partial, first, last);
                    break;
            }
            if (FinishesByRow(ref job))
            {
                int w = TS.Width;
                int vectors = (job.N + w - 1) / w;
                FinishRowsAfter(ref job, first, last - first, vectors, TS.FirstLanes(w), TS.FirstLanes(job.N - (vectors - 1) * w));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void SumRows<TF>(ref GemmJob job, float* partial, int first, int last) where TF : IFinish
        {
            int w = TS.Width;
            int n = job.N;
            for (int r = first; r < last; r++)
            {
                nint row = r * job.Ldc;
                int j = 0;
                for (; j + w <= n; j += w)
                    TF.Store<Whole>(ref job, row + j, j, TS.Add(TS.Load(job.C + row + j), TS.Load(partial + row + j)), default);
                if (j < n)
                {
                    TV lanes = TS.FirstLanes(n - j);
                    TF.Store<Partial>(ref job, row + j, j, TS.Add(TS.LoadMasked(job.C + row + j, lanes), TS.LoadMasked(partial + row + j, lanes)), lanes);
                }
            }
        }

        /// <summary>
        /// Tanh, Sigmoid and SELU (forward): the tiles stored the plain product; here bias, activation (through
        /// <see cref="TensorPrimitives"/>) and dropout are applied to the finished rows, still in cache.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void FinishRowsAfter(ref GemmJob job, int i, int rows, int vectors, TV all, TV tail)
        {
            int w = TS.Width;
            for (int r = i; r < i + rows; r++)
            {
                nint offset = r * job.Ldc;
                float* c = job.C + offset;
                var row = new Span<float>(c, job.N);
                TensorPrimitives.Add(row, new ReadOnlySpan<float>(job.Bias, job.N), row);
                Activations.Apply(job.Activation, row);
                if (job.Dropped == null) continue;
                float* dropped = job.Dropped + offset;
                TV scale = TS.Broadcast(job.Scale);
                for (int v = 0; v < vectors; v++)
                {
                    TV lanes = v == vectors - 1 ? tail : all;
                    TV y = TS.LoadMasked(c + v * w, lanes);
                    TV kept = job.Mask != null ? TS.Multiply(y, TS.LoadMasked(job.Mask + offset + v * w, lanes)) : TS.Multiply(y, scale);
                    TS.StoreMasked(dropped + v * w, kept, lanes);
                }
            }
        }
    }

    /// <summary><see cref="Kernel{TV, TS}.SumRows"/> in plain loops: add the partial sums, then finish as <see cref="ScalarRows"/>.</summary>
    private static void ScalarSumRows(ref GemmJob job, float* partial, int first, int last)
    {
        for (int r = first; r < last; r++)
        {
            nint row = r * job.Ldc;
            for (int j = 0; j < job.N; j++) job.C[row + j] += partial[row + j];
        }
        ScalarFinish(ref job, first, last);
    }

    /// <summary>The same products and finishing steps in plain loops, for machines without an accelerated vector unit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarRows(ref GemmJob job, int first, int last)
    {
        int n = job.N, k = job.K;
        for (int i = first; i < last; i++)
        {
            float* c = job.C + i * job.Ldc;
            float* a = job.A + i * job.ARowStride;
            new Span<float>(c, n).Clear();
            int terms = job.Terms != null ? job.TermCount : k;
            for (int t = 0; t < terms; t++)
            {
                int p = job.Terms != null ? job.Terms[t] : t;
                float x = a[p * job.AColumnStride];
                if (x == 0f && job.SkipZeros) continue;
                float* b = job.B + p * job.Ldb;
                for (int j = 0; j < n; j++) c[j] += x * b[j];
            }
        }
        ScalarFinish(ref job, first, last);
    }

    /// <summary>The finishing step of rows [first, last) of C, in plain loops.</summary>
    private static void ScalarFinish(ref GemmJob job, int first, int last)
    {
        int n = job.N;
        for (int i = first; i < last; i++)
        {
            nint offset = i * job.Ldc;
            float* c = job.C + offset;
            if (job.Finish == GemmFinish.Forward)
            {
                var row = new Span<float>(c, n);
                TensorPrimitives.Add(row, new ReadOnlySpan<float>(job.Bias, n), row);
                Activations.Apply(job.Activation, row);
                if (job.Dropped != null)
                {
                    for (int j = 0; j < n; j++)
                        job.Dropped[offset + j] = c[j] * (job.Mask != null ? job.Mask[offset + j] : job.Scale);
                }
            }
            else if (job.Finish == GemmFinish.BackwardInput)
            {
                for (int j = 0; j < n; j++)
                {
                    float g = c[j];
                    if (job.Mask != null) g *= job.Mask[offset + j];
                    else if (job.Scale != 1f) g *= job.Scale;
                    // Without an activation there is no output to read (its pointer is null).
                    c[j] = job.Activation == Activation.None ? g : Activations.Backward(job.Activation, g, job.ActivationOutput[offset + j]);
                }
            }
        }
    }
}
