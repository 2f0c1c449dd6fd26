using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>
/// DropConnect (Wan et al. 2013) on a dense layer: while training each weight <c>W[i, o]</c> is kept with probability
/// <c>p</c> independently for each example <c>b</c> (mask <c>m_b[i, o]</c>), unscaled, so
/// <c>y[b, :] = activation(b + Σ_i x[b, i] · (W[i, :] ⊙ m_b[i, :]))</c>. No mask is stored: <c>m_b[i, o]</c> is a pure
/// function of a 64-bit key (drawn from the network's mask stream once per training Forward), the example, the row and
/// the column (<see cref="Kept"/>), so Backward regenerates the masks Forward used, and every thread count gives the
/// same result.
/// </summary>
/// <remarks>
/// <para>The mask of one (example, row) pair starts from a 32-bit row seed, <c>s = SplitMix64.Mix(key + (b · inputs + i + 1) ·
/// Increment)</c>. Column <c>c = 512 · B + 16 · q + l</c> (l &lt; 16, q &lt; 32) reads bit q of sixteen random words
/// <c>r_j = hash32(s + (256 · B + 16 · l + j) · 0x9E3779B9)</c>, j = 0…15 (Wellons' lowbias32 finalizer: two 32-bit
/// multiplies and three xor-shifts): those bits, r_0's the most significant, form a 16-bit number V, and the weight is kept
/// when <c>V ≥ 2¹⁶ − t</c>, <c>t = round(p · 2¹⁶)</c>. So p is used rounded to a multiple of 2⁻¹⁶ (exact for 0.5, 0.25,
/// ...), and every random bit is its own hash bit, so the masks of different columns, rows, examples and passes are
/// independent.</para>
/// <para>The comparison never needs the bits below t's lowest set bit, and it can be done on 32 columns at once, bit-sliced
/// on whole words (<see cref="Word"/>): a weight's mask costs <c>16 − (trailing zero bits of t)</c> random bits, one at
/// p = 0.5 and two at 0.25 or 0.75 (so one 32-bit hash serves 32 weights at p = 0.5), but sixteen for a p such as 0.7
/// whose 16-bit threshold is odd, when the hashing costs more than the multiply-adds. The kernels hash 16 lanes of a row at
/// once into its kept words; the 16 columns of a vector then read bit q of 16 consecutive words, one vector test per
/// vector of weights.</para>
/// <para>Rows whose input is zero are skipped in the forward pass and in the weight gradient (ReLU outputs and image
/// background) when the weights are finite. The forward pass splits the batch between threads, the backward pass the
/// rows of the weight matrix; each output element is summed in the same order whatever the split.</para>
/// </remarks>
[SkipLocalsInit] // the kernels' scratch (tens of KB of gathered rows and mask words) is written before it is read
public static unsafe class DropConnect
{
    /// <summary>The default of <c>DropConnectSamples</c>: Gaussian samples per unit for moment-matching inference.</summary>
    public const int DefaultSamples = 64;

    /// <summary>The 32-bit golden-ratio increment between the columns of a row.</summary>
    internal const uint ColumnStep = 0x9E3779B9u;

    /// <summary>Rows of the weight matrix per block: their weights (about 64 KB) stay in cache while the examples pass.</summary>
    private static int BlockRows(int outputs) => Math.Clamp(16384 / Math.Max(1, outputs), 1, MaxBlock);

    /// <summary>The most rows (or examples) a kernel gathers on its stack at once.</summary>
    private const int MaxBlock = 1024;

    /// <summary>
    /// The keep threshold of <paramref name="keepProbability"/>, <c>t = round(p · 2¹⁶)</c>: a weight is kept when its 16
    /// random bits V are at least 2¹⁶ − t (so with probability t / 2¹⁶); null when every weight is kept (p rounds to 1).
    /// </summary>
    internal static uint? Threshold(float keepProbability)
    {
        if (!(keepProbability > 0f && keepProbability <= 1f))
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "Must be in (0, 1].");
        uint threshold = (uint)Math.Round(keepProbability * 65536.0);
        return threshold > ushort.MaxValue ? null : threshold;
    }

    /// <summary>
    /// Whether column <paramref name="column"/> of the mask row with seed <paramref name="seed"/> is kept, as documented
    /// (the kernels get the same bits from <see cref="Word"/>, 32 columns at a time): with <c>column = 512 · B + 16 · q + l</c>
    /// (l &lt; 16, q &lt; 32), the 16-bit V whose bit 15 − j is bit q of <c>Hash(seed + (256 · B + 16 · l + j) · ColumnStep)</c>
    /// is at least <c>2¹⁶ − threshold</c>.
    /// </summary>
    internal static bool KeptAt(uint seed, int column, uint threshold)
    {
        int block = column / BlockColumns, q = (column % BlockColumns) >> 4, l = column & 15;
        uint v = 0;
        for (int j = 0; j < 16; j++)
            v |= (Hash(seed + (uint)(256 * block + 16 * l + j) * ColumnStep) >> q & 1u) << (15 - j);
        return v >= 65536u - threshold;
    }

    /// <summary>The row seed of example <paramref name="example"/>, weight row <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint RowSeed(ulong key, int example, int row, int inputs) =>
        (uint)SplitMix64.Mix(key + ((ulong)example * (ulong)inputs + (ulong)row + 1UL) * SplitMix64.Increment);

    /// <summary>
    /// <c>seeds[j] = RowSeed</c> of the mask rows with the flat indices <c>first + j · step</c> (index <c>b · inputs + i</c>),
    /// j &lt; <paramref name="count"/>: the same 64-bit arithmetic, a vector of rows at a time (the gathers need a seed for
    /// every row they look at; one at a time, the two 64-bit multiplies of each were a third of the forward pass).
    /// </summary>
    internal static void RowSeeds(ulong key, long first, long step, int count, uint* seeds)
    {
        ulong start = key + ((ulong)first + 1UL) * SplitMix64.Increment, increment = (ulong)step * SplitMix64.Increment;
        int j = Simd.Level switch
        {
            SimdLevel.Vector512 => RowSeedLanes<Vector512<ulong>, CounterLanes512>(start, increment, count, seeds),
            SimdLevel.Vector256 => RowSeedLanes<Vector256<ulong>, CounterLanes256>(start, increment, count, seeds),
            SimdLevel.Vector128 => RowSeedLanes<Vector128<ulong>, CounterLanes128>(start, increment, count, seeds),
            _ => 0,
        };
        for (; j < count; j++)
            seeds[j] = (uint)SplitMix64.Mix(start + (ulong)j * increment);
    }

    /// <summary>Whole vectors of <see cref="RowSeeds"/>: lane l of the first holds <c>start + l · increment</c>; returns how many seeds were written.</summary>
    private static int RowSeedLanes<TU, TC>(ulong start, ulong increment, int count, uint* seeds) where TU : unmanaged where TC : ICounterLanes<TU>
    {
        int lanes = TC.Outputs, j = 0;
        TU z = TC.Counters(start - increment, increment), advance = TC.Broadcast((ulong)lanes * increment);
        for (; j + lanes <= count; j += lanes, z = TC.Add(z, advance))
            TC.StoreLowHalves(ref *seeds, j, CounterSampler<TU, TC>.Mix(z));
        return j;
    }

    /// <summary>Wellons' lowbias32 finalizer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Hash(uint x)
    {
        x ^= x >> 16;
        x *= 0x21F0AAADu;
        x ^= x >> 15;
        x *= 0x735A2D97u;
        x ^= x >> 15;
        return x;
    }

    /// <summary>Whether weight [<paramref name="row"/>, <paramref name="column"/>] is kept for example <paramref name="example"/> under mask key <paramref name="key"/>.</summary>
    public static bool Kept(ulong key, int example, int row, int column, int inputs, float keepProbability)
    {
        uint? threshold = Threshold(keepProbability);
        return threshold is not uint t || KeptAt(RowSeed(key, example, row, inputs), column, t);
    }

    /// <summary>
    /// The training forward pass: <c>output[b, :] = activation(bias + Σ_i input[b, i] · (weights[i, :] ⊙ m_b[i, :]))</c>.
    /// </summary>
    /// <param name="output">[batch, outputs].</param>
    /// <param name="input">[batch, inputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="bias">[outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="activation">Applied to each output.</param>
    /// <param name="keepProbability">p = 1 − rate, in (0, 1].</param>
    /// <param name="key">The mask key of this pass.</param>
    /// <param name="threads">Threads to split the examples between.</param>
    /// <param name="weightsFinite">Whether every weight is finite (then zero inputs are skipped); null: the kernel checks.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation, float keepProbability, ulong key, int threads = 1, bool? weightsFinite = null)
        => Forward(Simd.Level, output, input, weights, bias, batch, inputs, outputs, activation, keepProbability, key, threads, weightsFinite);

    /// <summary><see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Activation, float, ulong, int, bool?)"/> at a chosen level (for tests).</summary>
    internal static void Forward(SimdLevel level, Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation, float keepProbability, ulong key, int threads, bool? weightsFinite)
    {
        CheckShape(batch, inputs, outputs, threads);
        KernelArguments.Length(output.Length, (long)batch * outputs, nameof(output));
        KernelArguments.Length(input.Length, (long)batch * inputs, nameof(input));
        KernelArguments.Length(weights.Length, (long)inputs * outputs, nameof(weights));
        KernelArguments.Length(bias.Length, outputs, nameof(bias));
        KernelArguments.CheckActivation(activation);
        uint? threshold = Threshold(keepProbability);
        fixed (float* y = output, x = input, w = weights, b = bias)
        {
            var job = new Job
            {
                Y = y, X = x, W = w, Bias = b, Batch = batch, Inputs = inputs, Outputs = outputs, Activation = activation,
                Threshold = threshold ?? 0, KeepAll = threshold is null, Key = key, Level = level,
                SkipZeros = weightsFinite ?? Checks.AllFinite(weights.Slice(0, inputs * outputs)),
            };
            int parts = Parts(threads, batch, (long)batch * inputs * outputs);
            if (parts <= 1) ForwardRows(ref job, 0, batch);
            else Workers.Run(threads, parts, &ForwardPart, &job);
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Activation, float, ulong, int, bool?)"/> through the same masks, in one
    /// pass over them: <c>dWeights[i, :] = Σ_b input[b, i] · (dOutput[b, :] ⊙ m_b[i, :])</c>, <c>dBias = Σ_b dOutput[b, :]</c>
    /// (both overwritten) and, when <paramref name="dInput"/> is not empty, <c>dInput[b, i] = Σ_o weights[i, o] · m_b[i, o] ·
    /// dOutput[b, o]</c>. With <paramref name="masked"/> false (after an inference Forward) every weight is kept and the
    /// products are scaled by p: the gradient of the mean-weight rule.
    /// </summary>
    /// <param name="dWeights">[inputs, outputs].</param>
    /// <param name="dBias">[outputs].</param>
    /// <param name="dInput">[batch, inputs], or empty when the layer before needs no gradient.</param>
    /// <param name="dOutput">[batch, outputs]: d(loss)/d(pre-activation).</param>
    /// <param name="input">[batch, inputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="keepProbability">p = 1 − rate, in (0, 1].</param>
    /// <param name="key">The mask key of the Forward.</param>
    /// <param name="masked">Whether the Forward was a training one.</param>
    /// <param name="threads">Threads to split the weight rows between.</param>
    public static void Backward(Span<float> dWeights, Span<float> dBias, Span<float> dInput, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weights, int batch, int inputs, int outputs, float keepProbability, ulong key,
        bool masked = true, int threads = 1)
        => Backward(Simd.Level, dWeights, dBias, dInput, dOutput, input, weights, batch, inputs, outputs, keepProbability, key, masked, threads);

    internal static void Backward(SimdLevel level, Span<float> dWeights, Span<float> dBias, Span<float> dInput, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weights, int batch, int inputs, int outputs, float keepProbability, ulong key,
        bool masked, int threads)
    {
        CheckShape(batch, inputs, outputs, threads);
        KernelArguments.Length(dWeights.Length, (long)inputs * outputs, nameof(dWeights));
        KernelArguments.Length(dBias.Length, outputs, nameof(dBias));
        if (!dInput.IsEmpty) KernelArguments.Length(dInput.Length, (long)batch * inputs, nameof(dInput));
        KernelArguments.Length(dOutput.Length, (long)batch * outputs, nameof(dOutput));
        KernelArguments.Length(input.Length, (long)batch * inputs, nameof(input));
        KernelArguments.Length(weights.Length, (long)inputs * outputs, nameof(weights));
        uint? threshold = Threshold(keepProbability);
        Span<float> db = dBias.Slice(0, outputs);
        db.Clear();
        for (int b = 0; b < batch; b++)
            TensorPrimitives.Add(db, dOutput.Slice(b * outputs, outputs), db);
        fixed (float* dw = dWeights, dx = dInput, dy = dOutput, x = input, w = weights)
        {
            var job = new Job
            {
                DW = dw, DX = dInput.IsEmpty ? null : dx, Y = dy, X = x, W = w, Batch = batch, Inputs = inputs, Outputs = outputs,
                Threshold = threshold ?? 0, KeepAll = !masked || threshold is null, Key = key, Level = level, SkipZeros = true,
            };
            int blocks = (inputs + BlockRows(outputs) - 1) / BlockRows(outputs);
            int parts = Parts(threads, blocks, (long)batch * inputs * outputs);
            if (parts <= 1) BackwardBlocks(ref job, 0, blocks);
            else Workers.Run(threads, parts, &BackwardPart, &job);
            if (!masked && keepProbability != 1f)
            {
                TensorPrimitives.Multiply(dWeights.Slice(0, inputs * outputs), keepProbability, dWeights.Slice(0, inputs * outputs));
                if (!dInput.IsEmpty) TensorPrimitives.Multiply(dInput.Slice(0, batch * inputs), keepProbability, dInput.Slice(0, batch * inputs));
            }
        }
    }

    /// <summary>
    /// Mean-weight inference: <c>output = activation(p · (input · weights) + bias)</c>, through the dense product.
    /// </summary>
    public static void ForwardMeanWeight(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation, float keepProbability, int threads = 1, bool? weightsFinite = null)
    {
        KernelArguments.CheckActivation(activation);
        Threshold(keepProbability);
        Dense.Forward(output, input, weights, bias, batch, inputs, outputs, Activation.None, threads, weightsFinite);
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = output.Slice(b * outputs, outputs);
            // p · (xW + b − b) + b: the product ran with the bias added, which is taken back out before the scaling.
            TensorPrimitives.Subtract(row, bias, row);
            TensorPrimitives.MultiplyAdd(row, keepProbability, bias, row);
            Activations.Apply(activation, row);
        }
    }

    /// <summary>
    /// The fixed standard normal draws of moment-matching inference, [samples, units]: from a SplitMix64 stream seeded by
    /// <paramref name="seed"/> alone (so Predict is a pure function of the weights and the input), in antithetic pairs
    /// (sample 2k + 1 is the negation of sample 2k), which makes the average exact for the linear part of the activation.
    /// </summary>
    public static float[] CreateNormals(int samples, int units, ulong seed)
    {
        KernelArguments.Positive(samples, nameof(samples));
        KernelArguments.Positive(units, nameof(units));
        var normals = new float[(long)samples * units];
        var rng = new SplitMix64(SplitMix64.Mix(seed ^ 0xD5A61266F0C9392CUL));
        for (int s = 0; s < samples; s++)
        {
            for (int o = 0; o < units; o++)
                normals[s * units + o] = s % 2 == 1 ? -normals[(s - 1) * units + o] : (float)rng.NextGaussian();
        }
        return normals;
    }

    /// <summary>
    /// Wan et al.'s inference rule: the pre-activation of each unit is taken as Gaussian with the mean
    /// <c>u = p · (x · W) + b</c> and variance <c>v = p(1 − p) · (x² · W²)</c> of the DropConnect sum;
    /// <c>output = mean over s of activation(u + √v · normals[s, :])</c>. Without an activation the average is <c>u</c>.
    /// </summary>
    /// <param name="output">[batch, outputs].</param>
    /// <param name="scratch">[batch, 3 · outputs]: the means, standard deviations and one sample of each example.</param>
    /// <param name="input">[batch, inputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="bias">[outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="activation">Applied to each sample.</param>
    /// <param name="keepProbability">p = 1 − rate, in (0, 1].</param>
    /// <param name="normals">[samples, outputs], from <see cref="CreateNormals"/>.</param>
    /// <param name="samples">Draws per unit.</param>
    /// <param name="threads">Threads to split the examples between.</param>
    /// <param name="weightsFinite">Whether every weight is finite (then zero inputs are skipped); null: the kernel checks.</param>
    public static void ForwardMomentMatching(Span<float> output, Span<float> scratch, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int batch, int inputs, int outputs, Activation activation, float keepProbability,
        ReadOnlySpan<float> normals, int samples, int threads = 1, bool? weightsFinite = null)
    {
        CheckShape(batch, inputs, outputs, threads);
        KernelArguments.Positive(samples, nameof(samples));
        KernelArguments.Length(output.Length, (long)batch * outputs, nameof(output));
        KernelArguments.Length(scratch.Length, 3L * batch * outputs, nameof(scratch));
        KernelArguments.Length(input.Length, (long)batch * inputs, nameof(input));
        KernelArguments.Length(weights.Length, (long)inputs * outputs, nameof(weights));
        KernelArguments.Length(bias.Length, outputs, nameof(bias));
        KernelArguments.Length(normals.Length, (long)samples * outputs, nameof(normals));
        KernelArguments.CheckActivation(activation);
        Threshold(keepProbability);
        if (activation == Activation.None)
        {
            ForwardMeanWeight(output, input, weights, bias, batch, inputs, outputs, activation, keepProbability, threads, weightsFinite);
            return;
        }
        fixed (float* y = output, x = input, w = weights, b = bias, s = scratch, n = normals)
        {
            var job = new Job
            {
                Y = y, X = x, W = w, Bias = b, DW = s, DX = n, Samples = samples, Batch = batch, Inputs = inputs, Outputs = outputs,
                Activation = activation, Keep = keepProbability, Level = Simd.Level,
                SkipZeros = weightsFinite ?? Checks.AllFinite(weights.Slice(0, inputs * outputs)),
            };
            int parts = Parts(threads, batch, (long)batch * inputs * outputs);
            if (parts <= 1) MomentRows(ref job, 0, batch);
            else Workers.Run(threads, parts, &MomentPart, &job);
        }
    }

    private static void CheckShape(int batch, int inputs, int outputs, int threads)
    {
        KernelArguments.Positive(batch, nameof(batch));
        KernelArguments.Positive(inputs, nameof(inputs));
        KernelArguments.Positive(outputs, nameof(outputs));
        KernelThreads.Check(threads, nameof(threads));
    }

    /// <summary>Parts a job is split into: 1 for one thread or little work, else up to 4 per thread.</summary>
    private static int Parts(int threads, int units, long work) =>
        threads <= 1 || work < 32768 ? 1 : Math.Min(units, 4 * Math.Min(threads, KernelThreads.Available));

    /// <summary>Everything a part needs (pointers stay valid: the caller waits for every part).</summary>
    private struct Job
    {
        public float* Y, X, W, Bias, DW, DX;
        public int Batch, Inputs, Outputs, Samples;
        public Activation Activation;
        public uint Threshold;
        public bool KeepAll, SkipZeros;
        public ulong Key;
        public float Keep;
        public SimdLevel Level;
    }

    private static void ForwardPart(void* state, int part, int parts)
    {
        ref Job job = ref *(Job*)state;
        int first = (int)((long)job.Batch * part / parts), last = (int)((long)job.Batch * (part + 1) / parts);
        if (first < last) ForwardRows(ref job, first, last);
    }

    private static void BackwardPart(void* state, int part, int parts)
    {
        ref Job job = ref *(Job*)state;
        int blocks = (job.Inputs + BlockRows(job.Outputs) - 1) / BlockRows(job.Outputs);
        int first = (int)((long)blocks * part / parts), last = (int)((long)blocks * (part + 1) / parts);
        if (first < last) BackwardBlocks(ref job, first, last);
    }

    private static void MomentPart(void* state, int part, int parts)
    {
        ref Job job = ref *(Job*)state;
        int first = (int)((long)job.Batch * part / parts), last = (int)((long)job.Batch * (part + 1) / parts);
        if (first < last) MomentRows(ref job, first, last);
    }

    /// <summary>Scratch a part gathers its rows into, on its stack: sized for <see cref="MaxBlock"/> rows and <see cref="WordCapacity"/> mask words.</summary>
    private struct Scratch
    {
        public float** Rows;
        public float* Scales;
        public uint* Seeds;
        /// <summary>The seeds of every row a gather looks at, before it keeps those it needs.</summary>
        public uint* Candidates;
        public int* Examples;
        public uint* Words;
        public float* Partial;
    }

    /// <summary>Mask words a part holds at once (64 KB): the 16 kept words per 512 columns of up to <see cref="MaxBlock"/> mask rows.</summary>
    private const int WordCapacity = 16384;

    /// <summary>Examples the backward pass gathers per weight row at once.</summary>
    private const int BackwardExamples = 256;

    /// <summary>Columns one block of 16 kept words covers: 16 lanes × 32 bits.</summary>
    internal const int BlockColumns = 512;

    /// <summary>Examples [first, last): bias, then the masked sums a block of weight rows at a time, then the activation.</summary>
    private static void ForwardRows(ref Job job, int first, int last)
    {
        int n = job.Outputs;
        for (int b = first; b < last; b++)
            new ReadOnlySpan<float>(job.Bias, n).CopyTo(new Span<float>(job.Y + (long)b * n, n));
        // One entry more than a block's rows: the branchless gather writes an entry before deciding whether to keep it.
        float** rows = stackalloc float*[MaxBlock + 1];
        float* scales = stackalloc float[MaxBlock + 1];
        uint* seeds = stackalloc uint[MaxBlock + 1];
        uint* candidates = stackalloc uint[MaxBlock];
        uint* words = stackalloc uint[WordCapacity];
        var scratch = new Scratch { Rows = rows, Scales = scales, Seeds = seeds, Candidates = candidates, Words = words };
        int block = BlockRows(n);
        for (int i0 = 0; i0 < job.Inputs; i0 += block)
        {
            int i1 = Math.Min(job.Inputs, i0 + block);
            for (int b = first; b < last; b++)
            {
                switch (job.Level)
                {
                    case SimdLevel.Vector512: Kernel<Vector512<float>, Simd512, MaskBits512>.ForwardRow(ref job, ref scratch, b, i0, i1); break;
                    case SimdLevel.Vector256: Kernel<Vector256<float>, Simd256, MaskBits256>.ForwardRow(ref job, ref scratch, b, i0, i1); break;
                    case SimdLevel.Vector128: Kernel<Vector128<float>, Simd128, MaskBits128>.ForwardRow(ref job, ref scratch, b, i0, i1); break;
                    default: ScalarForwardRow(ref job, b, i0, i1); break;
                }
            }
        }
        for (int b = first; b < last; b++)
            Activations.Apply(job.Activation, new Span<float>(job.Y + (long)b * n, n));
    }

    /// <summary>Weight-row blocks [first, last): their weight gradient rows over every example, and those rows' input gradients.</summary>
    private static void BackwardBlocks(ref Job job, int first, int last)
    {
        int n = job.Outputs, block = BlockRows(n);
        int r0 = first * block, r1 = Math.Min(job.Inputs, last * block);
        new Span<float>(job.DW + (long)r0 * n, (r1 - r0) * n).Clear();
        if (job.Level == SimdLevel.Scalar)
        {
            for (int b = 0; b < job.Batch; b++)
                ScalarBackwardRow(ref job, b, r0, r1);
            return;
        }
        // One entry more than the examples: the branchless gathers write an entry before deciding whether to keep it.
        float** rows = stackalloc float*[BackwardExamples + 1];
        float* scales = stackalloc float[BackwardExamples + 1];
        uint* seeds = stackalloc uint[BackwardExamples + 1];
        uint* candidates = stackalloc uint[BackwardExamples];
        int* examples = stackalloc int[BackwardExamples + 1];
        uint* words = stackalloc uint[WordCapacity];
        float* partial = stackalloc float[BackwardExamples * 16];
        var scratch = new Scratch { Rows = rows, Scales = scales, Seeds = seeds, Candidates = candidates, Examples = examples, Words = words, Partial = partial };
        for (int i = r0; i < r1; i++)
        {
            switch (job.Level)
            {
                case SimdLevel.Vector512: Kernel<Vector512<float>, Simd512, MaskBits512>.BackwardWeightRow(ref job, ref scratch, i); break;
                case SimdLevel.Vector256: Kernel<Vector256<float>, Simd256, MaskBits256>.BackwardWeightRow(ref job, ref scratch, i); break;
                default: Kernel<Vector128<float>, Simd128, MaskBits128>.BackwardWeightRow(ref job, ref scratch, i); break;
            }
        }
    }

    /// <summary>
    /// Kept word <paramref name="lane"/> of the mask row with seed <paramref name="seed"/>, as the kernels compute it: bit q of
    /// lane <c>16 · B + l</c> is column <c>512 · B + 16 · q + l</c> (see <see cref="KeptAt"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Word(uint seed, int lane, uint threshold, bool keepAll)
    {
        if (keepAll) return uint.MaxValue;
        // "V ≥ 2¹⁶ − t" decided from V's least significant bit up: with the comparison of the bits below j known (kept), bit j
        // of V settles it where it differs from bit j of 2¹⁶ − t, which gives kept = t_j ? (r_j | kept) : (r_j & kept),
        // bit-sliced over 32 columns at once. The bits below t's lowest set bit cannot change the outcome (2¹⁶ − t has zeros
        // there), so the words start at that bit, where the step is kept = r_j.
        uint kept = 0;
        for (int j = WordsPerMask(threshold) - 1; j >= 0; j--)
        {
            uint r = Hash(seed + (uint)(16 * lane + j) * ColumnStep);
            kept = (threshold >> (15 - j) & 1u) != 0 ? kept | r : kept & r;
        }
        return kept;
    }

    /// <summary>Random words each kept bit needs: 16 minus the trailing zero bits of the 16-bit threshold (1 for p = 0.5, 2 for 0.25 or 0.75); 0 when nothing is kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WordsPerMask(uint threshold) => threshold == 0 ? 0 : 16 - System.Numerics.BitOperations.TrailingZeroCount(threshold);

    /// <summary>The 16 kept words of column block <paramref name="block"/> of one mask row.</summary>
    private static void BlockWords(ref Job job, uint seed, int block, uint* words)
    {
        for (int l = 0; l < 16; l++)
            words[l] = Word(seed, 16 * block + l, job.Threshold, job.KeepAll);
    }

    /// <summary>Example <paramref name="b"/> over weight rows [i0, i1), one weight at a time.</summary>
    private static void ScalarForwardRow(ref Job job, int b, int i0, int i1)
    {
        int n = job.Outputs;
        float* y = job.Y + (long)b * n, x = job.X + (long)b * job.Inputs;
        uint* words = stackalloc uint[16];
        for (int i = i0; i < i1; i++)
        {
            float xi = x[i];
            if (xi == 0f && job.SkipZeros) continue;
            float* w = job.W + (long)i * n;
            uint seed = RowSeed(job.Key, b, i, job.Inputs);
            for (int c0 = 0; c0 < n; c0 += BlockColumns)
            {
                BlockWords(ref job, seed, c0 / BlockColumns, words);
                for (int o = c0; o < Math.Min(n, c0 + BlockColumns); o++)
                {
                    if ((words[o & 15] >> ((o & 511) >> 4) & 1u) != 0)
                        y[o] = MathF.FusedMultiplyAdd(xi, w[o], y[o]);
                }
            }
        }
    }

    /// <summary>Example <paramref name="b"/>'s backward over weight rows [i0, i1), one weight at a time.</summary>
    private static void ScalarBackwardRow(ref Job job, int b, int i0, int i1)
    {
        int n = job.Outputs;
        float* dy = job.Y + (long)b * n, x = job.X + (long)b * job.Inputs;
        uint* words = stackalloc uint[16];
        for (int i = i0; i < i1; i++)
        {
            float xi = x[i];
            bool weightGradient = xi != 0f;
            if (!weightGradient && job.DX == null) continue;
            float* w = job.W + (long)i * n, dw = job.DW + (long)i * n;
            uint seed = RowSeed(job.Key, b, i, job.Inputs);
            float sum = 0f;
            for (int c0 = 0; c0 < n; c0 += BlockColumns)
            {
                BlockWords(ref job, seed, c0 / BlockColumns, words);
                for (int o = c0; o < Math.Min(n, c0 + BlockColumns); o++)
                {
                    if ((words[o & 15] >> ((o & 511) >> 4) & 1u) == 0) continue;
                    if (weightGradient) dw[o] = MathF.FusedMultiplyAdd(xi, dy[o], dw[o]);
                    sum = MathF.FusedMultiplyAdd(w[o], dy[o], sum);
                }
            }
            if (job.DX != null)
                job.DX[(long)b * job.Inputs + i] = sum;
        }
    }


    /// <summary>Examples [first, last) of moment-matching inference.</summary>
    private static void MomentRows(ref Job job, int first, int last)
    {
        int n = job.Outputs;
        float p = job.Keep, spread = p * (1f - p);
        for (int b = first; b < last; b++)
        {
            var mean = new Span<float>(job.DW + 3L * b * n, n);
            var sd = new Span<float>(job.DW + 3L * b * n + n, n);
            var sample = new Span<float>(job.DW + 3L * b * n + 2 * n, n);
            mean.Clear();
            sd.Clear();
            float* x = job.X + (long)b * job.Inputs;
            for (int i = 0; i < job.Inputs; i++)
            {
                float xi = x[i];
                if (xi == 0f && job.SkipZeros) continue;
                var w = new ReadOnlySpan<float>(job.W + (long)i * n, n);
                TensorPrimitives.MultiplyAdd(w, xi, mean, mean);
                // sd holds Σ x² W² for now (sample is free until the sampling: it holds W² of the row).
                TensorPrimitives.Multiply(w, w, sample);
                TensorPrimitives.MultiplyAdd(sample, xi * xi, sd, sd);
            }
            var bias = new ReadOnlySpan<float>(job.Bias, n);
            TensorPrimitives.MultiplyAdd(mean, p, bias, mean);
            TensorPrimitives.Multiply(sd, spread, sd);
            TensorPrimitives.Sqrt(sd, sd);
            var y = new Span<float>(job.Y + (long)b * n, n);
            y.Clear();
            for (int s = 0; s < job.Samples; s++)
            {
                TensorPrimitives.MultiplyAdd(sd, new ReadOnlySpan<float>(job.DX + (long)s * n, n), mean, sample);
                Activations.Apply(job.Activation, sample);
                TensorPrimitives.Add(y, sample, y);
            }
            TensorPrimitives.Multiply(y, 1f / job.Samples, y);
        }
    }

    /// <summary>
    /// The vector kernels, written once for every width. Each gathers the mask rows it needs (an example's nonzero inputs in
    /// the forward pass, a weight row's examples in the backward pass) and hashes each row's seed into its kept words, 16
    /// lanes per 512 columns (so at p = 0.5 one 32-bit hash serves 32 weights); then it runs the multiply-adds over tiles of
    /// four vectors of columns summed in registers. The lanes of a vector of columns are consecutive columns, which read
    /// one bit of consecutive words: one vector load of the words serves the tile, and one test per vector selects the kept
    /// weights (a compare into a mask register with AVX-512, a shift into the signs and <c>vblendvps</c> with AVX2).
    /// </summary>
    private static class Kernel<TV, TS, TM> where TV : unmanaged where TS : ISimd<TV> where TM : IMaskBits<TV>
    {
        /// <summary>Example <paramref name="b"/> over weight rows [i0, i1): its nonzero inputs gathered, then their masked weight rows summed into its output.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ForwardRow(ref Job job, ref Scratch scratch, int b, int i0, int i1)
        {
            int n = job.Outputs;
            float* x = job.X + (long)b * job.Inputs;
            float** rows = scratch.Rows;
            float* scales = scratch.Scales;
            uint* seeds = scratch.Seeds;
            int count = 0;
            bool all = !job.SkipZeros;
            uint* candidates = scratch.Candidates;
            RowSeeds(job.Key, (long)b * job.Inputs + i0, 1, i1 - i0, candidates);
            for (int i = i0; i < i1; i++)
            {
                // Without a branch: whether an image pixel or a ReLU output is zero is close to a coin toss for the predictor.
                float xi = x[i];
                rows[count] = job.W + (long)i * n;
                scales[count] = xi;
                seeds[count] = candidates[i - i0];
                count += (xi != 0f) | all ? 1 : 0;
            }
            if (count > 0) Accumulate(ref job, ref scratch, job.Y + (long)b * n, count);
        }

        /// <summary>
        /// Weight row <paramref name="i"/>'s gradient, <c>dW[i, :] = Σ_b x[b, i] · (dy[b, :] ⊙ m_b[i, :])</c> over the examples with
        /// a nonzero input, and, when the layer before needs it, <c>dx[b, i] = Σ_o W[i, o] · m_b[i, o] · dy[b, o]</c> for every
        /// example: the examples gathered <see cref="BackwardExamples"/> at a time (those with a nonzero input first), their
        /// kept words made once for both.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void BackwardWeightRow(ref Job job, ref Scratch scratch, int i)
        {
            int n = job.Outputs;
            float** rows = scratch.Rows;
            float* scales = scratch.Scales;
            uint* seeds = scratch.Seeds;
            int* examples = scratch.Examples;
            for (int b0 = 0; b0 < job.Batch; b0 += BackwardExamples)
            {
                int b1 = Math.Min(job.Batch, b0 + BackwardExamples), count = 0;
                uint* candidates = scratch.Candidates;
                RowSeeds(job.Key, (long)b0 * job.Inputs + i, job.Inputs, b1 - b0, candidates);
                for (int b = b0; b < b1; b++)
                {
                    // Without a branch, as in ForwardRow.
                    float xi = job.X[(long)b * job.Inputs + i];
                    rows[count] = job.Y + (long)b * n;
                    scales[count] = xi;
                    examples[count] = b;
                    seeds[count] = candidates[b - b0];
                    count += xi != 0f ? 1 : 0;
                }
                int nonZero = count;
                if (job.DX == null)
                {
                    if (count > 0) Accumulate(ref job, ref scratch, job.DW + (long)i * n, count);
                    continue;
                }
                for (int b = b0; b < b1; b++)
                {
                    rows[count] = job.Y + (long)b * n;
                    examples[count] = b;
                    seeds[count] = candidates[b - b0];
                    count += job.X[(long)b * job.Inputs + i] == 0f ? 1 : 0;
                }
                float* w = job.W + (long)i * n;
                int blocks = (n + BlockColumns - 1) / BlockColumns, chunk = ChunkBlocks(count);
                for (int k0 = 0; k0 < blocks; k0 += chunk)
                {
                    int k1 = Math.Min(blocks, k0 + chunk), c0 = BlockColumns * k0, c1 = Math.Min(n, BlockColumns * k1), stride = 16 * (k1 - k0);
                    MakeWords(ref job, seeds, count, k0, k1 - k0, scratch.Words);
                    AccumulateChunk(job.DW + (long)i * n + c0, c1 - c0, rows, c0, scales, scratch.Words, stride, nonZero);
                    DotRows(w + c0, rows, c0, c1 - c0, scratch.Words, stride, count, scratch.Partial);
                    for (int r = 0; r < count; r++)
                    {
                        float sum = TM.Sum(TS.Load(scratch.Partial + r * TS.Width));
                        float* dx = job.DX + (long)examples[r] * job.Inputs + i;
                        *dx = k0 == 0 ? sum : *dx + sum;
                    }
                }
            }
        }

        /// <summary>Column blocks whose words fit <see cref="WordCapacity"/> for <paramref name="count"/> mask rows.</summary>
        private static int ChunkBlocks(int count) => Math.Max(1, WordCapacity / (16 * count));

        /// <summary><c>destination[:n] += Σ_k scales[k] · (rows[k][:n] ⊙ m(seeds[k]))</c>, in k order, a chunk of column blocks at a time.</summary>
        private static void Accumulate(ref Job job, ref Scratch scratch, float* destination, int count)
        {
            int n = job.Outputs, blocks = (n + BlockColumns - 1) / BlockColumns, chunk = ChunkBlocks(count);
            for (int k0 = 0; k0 < blocks; k0 += chunk)
            {
                int k1 = Math.Min(blocks, k0 + chunk), c0 = BlockColumns * k0, c1 = Math.Min(n, BlockColumns * k1);
                MakeWords(ref job, scratch.Seeds, count, k0, k1 - k0, scratch.Words);
                AccumulateChunk(destination + c0, c1 - c0, scratch.Rows, c0, scratch.Scales, scratch.Words, 16 * (k1 - k0), count);
            }
        }

        /// <summary>The kept words of mask rows [0, count) for column blocks [k0, k0 + blocks): row k's at <c>words[k · 16 · blocks]</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MakeWords(ref Job job, uint* seeds, int count, int k0, int blocks, uint* words)
        {
            if (job.KeepAll) new Span<uint>(words, 16 * blocks * count).Fill(uint.MaxValue);
            else TM.Words(seeds, count, k0, blocks, job.Threshold, words);
        }

        /// <summary>
        /// <c>destination[:n] += Σ_k scales[k] · (rows[k][offset:offset + n] ⊙ kept)</c> for <c>k &lt; count</c>, row k's words at
        /// <c>words + k · stride</c>: tiles of four vectors of columns summed in registers over every k (four independent chains
        /// of multiply-adds), then the last columns the same way with masked loads.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AccumulateChunk(float* destination, int n, float** rows, int offset, float* scales, uint* words, int stride, int count)
        {
            int width = TS.Width, tile = 4 * width, whole = n - n % tile;
            for (int o = 0; o < whole; o += tile)
            {
                // Vector v of the tile: columns o + v·width + l, so lanes (o + v·width) mod 16 + l of the tile's words (a tile
                // never crosses a block of 512 columns), bit ((o + v·width) mod 512) / 16.
                uint* tileWords = words + 16 * (o / BlockColumns);
                int q = (o & (BlockColumns - 1)) >> 4;
                TV s0 = TM.Selector(q), s1 = TM.Selector(q + (width >> 4)), s2 = TM.Selector(q + (2 * width >> 4)), s3 = TM.Selector(q + (3 * width >> 4));
                int l0 = 0, l1 = width & 15, l2 = 2 * width & 15, l3 = 3 * width & 15;
                TV acc0 = TS.Load(destination + o), acc1 = TS.Load(destination + o + width);
                TV acc2 = TS.Load(destination + o + 2 * width), acc3 = TS.Load(destination + o + 3 * width);
                nint at = offset + o;
                uint* kw = tileWords;
                for (int k = 0; k < count; k++, kw += stride)
                {
                    float* row = rows[k] + at;
                    TV scale = TS.Broadcast(scales + k);
                    acc0 = TM.MultiplyAddKept(scale, TM.LoadWords(kw + l0), s0, row, acc0);
                    acc1 = TM.MultiplyAddKept(scale, TM.LoadWords(kw + l1), s1, row + width, acc1);
                    acc2 = TM.MultiplyAddKept(scale, TM.LoadWords(kw + l2), s2, row + 2 * width, acc2);
                    acc3 = TM.MultiplyAddKept(scale, TM.LoadWords(kw + l3), s3, row + 3 * width, acc3);
                }
                TS.Store(destination + o, acc0);
                TS.Store(destination + o + width, acc1);
                TS.Store(destination + o + 2 * width, acc2);
                TS.Store(destination + o + 3 * width, acc3);
            }
            int rest = n - whole;
            if (rest == 0) return;
            {
                int o = whole;
                uint* tileWords = words + 16 * (o / BlockColumns);
                int q = (o & (BlockColumns - 1)) >> 4;
                TV s0 = TM.Selector(q), s1 = TM.Selector(q + (width >> 4)), s2 = TM.Selector(q + (2 * width >> 4)), s3 = TM.Selector(q + (3 * width >> 4));
                int l0 = 0, l1 = width & 15, l2 = 2 * width & 15, l3 = 3 * width & 15;
                // Vectors past the end have no lanes: their loads touch no memory.
                TV m0 = TS.FirstLanes(rest), m1 = TS.FirstLanes(rest - width), m2 = TS.FirstLanes(rest - 2 * width), m3 = TS.FirstLanes(rest - 3 * width);
                float* d = destination + o;
                TV acc0 = TS.LoadMasked(d, m0), acc1 = TS.LoadMasked(d + width, m1), acc2 = TS.LoadMasked(d + 2 * width, m2), acc3 = TS.LoadMasked(d + 3 * width, m3);
                nint at = offset + o;
                uint* kw = tileWords;
                for (int k = 0; k < count; k++, kw += stride)
                {
                    float* row = rows[k] + at;
                    TV scale = TS.Broadcast(scales + k);
                    acc0 = TM.MultiplyAddKeptMasked(scale, TM.LoadWords(kw + l0), s0, row, m0, acc0);
                    if (rest > width) acc1 = TM.MultiplyAddKeptMasked(scale, TM.LoadWords(kw + l1), s1, row + width, m1, acc1);
                    if (rest > 2 * width) acc2 = TM.MultiplyAddKeptMasked(scale, TM.LoadWords(kw + l2), s2, row + 2 * width, m2, acc2);
                    if (rest > 3 * width) acc3 = TM.MultiplyAddKeptMasked(scale, TM.LoadWords(kw + l3), s3, row + 3 * width, m3, acc3);
                }
                TS.StoreMasked(d, acc0, m0);
                TS.StoreMasked(d + width, acc1, m1);
                TS.StoreMasked(d + 2 * width, acc2, m2);
                TS.StoreMasked(d + 3 * width, acc3, m3);
            }
        }

        /// <summary>
        /// <c>partial[k · width :][:width]</c>, whose lanes sum to <c>Σ_o w[o] · rows[k][offset + o] · kept_k(o)</c> over columns
        /// [0, n), for every k &lt; count: tile by tile (the tile's selectors and lane masks made once for every k), each k's
        /// four vectors of a tile summed into its partial vector in memory, so that no k waits on the latency of another.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void DotRows(float* w, float** rows, int offset, int n, uint* words, int stride, int count, float* partial)
        {
            int width = TS.Width, tile = 4 * width;
            for (int o = 0; o < n; o += tile)
            {
                int rest = n - o;
                uint* tileWords = words + 16 * (o / BlockColumns);
                int q = (o & (BlockColumns - 1)) >> 4;
                TV s0 = TM.Selector(q), s1 = TM.Selector(q + (width >> 4)), s2 = TM.Selector(q + (2 * width >> 4)), s3 = TM.Selector(q + (3 * width >> 4));
                int l1 = width & 15, l2 = 2 * width & 15, l3 = 3 * width & 15;
                float* wo = w + o;
                nint at = offset + o;
                uint* kw = tileWords;
                if (rest >= tile)
                {
                    for (int k = 0; k < count; k++, kw += stride)
                    {
                        float* dy = rows[k] + at;
                        TV a0 = TM.MultiplyAddKept(TS.Load(dy), TM.LoadWords(kw), s0, wo, TS.Zero);
                        TV a1 = TM.MultiplyAddKept(TS.Load(dy + width), TM.LoadWords(kw + l1), s1, wo + width, TS.Zero);
                        TV a2 = TM.MultiplyAddKept(TS.Load(dy + 2 * width), TM.LoadWords(kw + l2), s2, wo + 2 * width, TS.Zero);
                        TV a3 = TM.MultiplyAddKept(TS.Load(dy + 3 * width), TM.LoadWords(kw + l3), s3, wo + 3 * width, TS.Zero);
                        TV sum = TS.Add(TS.Add(a0, a1), TS.Add(a2, a3));
                        float* p = partial + k * width;
                        TS.Store(p, o == 0 ? sum : TS.Add(TS.Load(p), sum));
                    }
                }
                else
                {
                    // The last columns: vectors past the end have no lanes, so their loads touch no memory and add zero.
                    TV m0 = TS.FirstLanes(rest), m1 = TS.FirstLanes(rest - width), m2 = TS.FirstLanes(rest - 2 * width), m3 = TS.FirstLanes(rest - 3 * width);
                    for (int k = 0; k < count; k++, kw += stride)
                    {
                        float* dy = rows[k] + at;
                        TV a0 = TM.MultiplyAddKeptMasked(TS.LoadMasked(dy, m0), TM.LoadWords(kw), s0, wo, m0, TS.Zero);
                        TV a1 = TM.MultiplyAddKeptMasked(TS.LoadMasked(dy + width, m1), TM.LoadWords(kw + l1), s1, wo + width, m1, TS.Zero);
                        TV a2 = TM.MultiplyAddKeptMasked(TS.LoadMasked(dy + 2 * width, m2), TM.LoadWords(kw + l2), s2, wo + 2 * width, m2, TS.Zero);
                        TV a3 = TM.MultiplyAddKeptMasked(TS.LoadMasked(dy + 3 * width, m3), TM.LoadWords(kw + l3), s3, wo + 3 * width, m3, TS.Zero);
                        TV sum = TS.Add(TS.Add(a0, a1), TS.Add(a2, a3));
                        float* p = partial + k * width;
                        TS.Store(p, o == 0 ? sum : TS.Add(TS.Load(p), sum));
                    }
                }
            }
        }
    }
}

/// <summary>
/// The kept bits of DropConnect masks as vector lanes: <see cref="Words"/> hashes mask rows' seeds into their kept words
/// (<see cref="DropConnect.Word"/>, a vector of lanes at a time), and <see cref="MultiplyAddKept"/> adds the kept weights of a
/// vector of columns.
/// </summary>
internal unsafe interface IMaskBits<TV> where TV : unmanaged
{
    /// <summary>
    /// <c>words[k · 16 · blocks + 16 · b + l] = DropConnect.Word(seeds[k], 16 · (k0 + b) + l, threshold, false)</c> for
    /// k &lt; count, b &lt; blocks, l &lt; 16.
    /// </summary>
    static abstract void Words(uint* seeds, int count, int k0, int blocks, uint threshold, uint* words);

    /// <summary>A vector of words from <paramref name="p"/>, as float lanes (bit patterns).</summary>
    static abstract TV LoadWords(uint* p);

    /// <summary>The sum of the lanes, halves added pairwise (a fixed order, cheaper than the BCL's lane-by-lane sum).</summary>
    static abstract float Sum(TV v);

    /// <summary>What <see cref="MultiplyAddKept"/> takes to read bit <paramref name="bit"/> of each word (made once per tile, outside the loops).</summary>
    static abstract TV Selector(int bit);

    /// <summary>
    /// <c>scale · p[l] + acc</c> in lane l where the bit <paramref name="selector"/> names is set in <c>words[l]</c>
    /// (one rounding), <c>acc</c> where it is clear: a dropped weight adds nothing, as in the scalar kernels.
    /// </summary>
    static abstract TV MultiplyAddKept(TV scale, TV words, TV selector, float* p, TV acc);

    /// <summary><see cref="MultiplyAddKept"/> for the lanes of <paramref name="lanes"/> only (others +0 from memory); never touches memory outside them.</summary>
    static abstract TV MultiplyAddKeptMasked(TV scale, TV words, TV selector, float* p, TV lanes, TV acc);
}

/// <summary><see cref="IMaskBits{TV}"/> on 512-bit vectors (the same steps at each width: the BCL's ISimdVector is not public to write them once).</summary>
internal readonly unsafe struct MaskBits512 : IMaskBits<Vector512<float>>
{
    public static void Words(uint* seeds, int count, int k0, int blocks, uint threshold, uint* words)
    {
        int k = DropConnect.WordsPerMask(threshold);
        Vector512<uint> lanes = Vector512<uint>.Indices * unchecked(16u * DropConnect.ColumnStep);
        for (int r = 0; r < count; r++)
        {
            for (int b = 0; b < blocks; b++)
            {
                Vector512<uint> seed = Vector512.Create(seeds[r] + (uint)(256 * (k0 + b)) * DropConnect.ColumnStep) + lanes;
                Vector512<uint> kept = Vector512<uint>.Zero;
                for (int j = k - 1; j >= 0; j--)
                {
                    Vector512<uint> x = seed + Vector512.Create((uint)j * DropConnect.ColumnStep);
                    x = (x ^ x >>> 16) * 0x21F0AAADu;
                    x = (x ^ x >>> 15) * 0x735A2D97u;
                    x ^= x >>> 15;
                    kept = (threshold >> (15 - j) & 1u) != 0 ? kept | x : kept & x;
                }
                kept.Store(words + (r * blocks + b) * 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadWords(uint* p) => Vector512.Load(p).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => MaskBits256.Sum(v.GetLower() + v.GetUpper());

    /// <summary>The bit itself in every lane: <see cref="MultiplyAddKept"/> tests against it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Selector(int bit) => Vector512.Create(1u << bit).AsSingle();

    /// <summary>
    /// A test into a mask register, a load of the kept lanes under it and the multiply-add (merging the multiply-add under
    /// the mask instead would put the merge on the accumulator's chain: the JIT does not fold it into the multiply-add).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAddKept(Vector512<float> scale, Vector512<float> words, Vector512<float> selector, float* p, Vector512<float> acc) =>
        Vector512.FusedMultiplyAdd(scale,
            Avx512F.MaskLoad(p, Vector512.Equals(words.AsUInt32() & selector.AsUInt32(), selector.AsUInt32()).AsSingle(), Vector512<float>.Zero), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAddKeptMasked(Vector512<float> scale, Vector512<float> words, Vector512<float> selector, float* p, Vector512<float> lanes, Vector512<float> acc) =>
        Vector512.FusedMultiplyAdd(scale,
            Avx512F.MaskLoad(p, Vector512.Equals(words.AsUInt32() & selector.AsUInt32(), selector.AsUInt32()).AsSingle() & lanes, Vector512<float>.Zero), acc);
}

/// <summary><see cref="IMaskBits{TV}"/> on 256-bit vectors (the same steps at each width: the BCL's ISimdVector is not public to write them once).</summary>
internal readonly unsafe struct MaskBits256 : IMaskBits<Vector256<float>>
{
    public static void Words(uint* seeds, int count, int k0, int blocks, uint threshold, uint* words)
    {
        int k = DropConnect.WordsPerMask(threshold);
        Vector256<uint> lanes = Vector256<uint>.Indices * unchecked(16u * DropConnect.ColumnStep);
        for (int r = 0; r < count; r++)
        {
            for (int b = 0; b < blocks; b++)
            {
                for (int half = 0; half < 16; half += 8)
                {
                    Vector256<uint> seed = Vector256.Create(seeds[r] + (uint)(256 * (k0 + b) + 16 * half) * DropConnect.ColumnStep) + lanes;
                    Vector256<uint> kept = Vector256<uint>.Zero;
                    for (int j = k - 1; j >= 0; j--)
                    {
                        Vector256<uint> x = seed + Vector256.Create((uint)j * DropConnect.ColumnStep);
                        x = (x ^ x >>> 16) * 0x21F0AAADu;
                        x = (x ^ x >>> 15) * 0x735A2D97u;
                        x ^= x >>> 15;
                        kept = (threshold >> (15 - j) & 1u) != 0 ? kept | x : kept & x;
                    }
                    kept.Store(words + (r * blocks + b) * 16 + half);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadWords(uint* p) => Vector256.Load(p).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => MaskBits128.Sum(v.GetLower() + v.GetUpper());

    /// <summary>The shift that moves the bit into each lane's sign: <see cref="MultiplyAddKept"/> is a <c>vpsllvd</c> and a <c>vblendvps</c>, which selects on the signs, before the multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Selector(int bit) => Vector256.Create(31u - (uint)bit).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddKept(Vector256<float> scale, Vector256<float> words, Vector256<float> selector, float* p, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(scale,
            Avx.BlendVariable(Vector256<float>.Zero, Vector256.Load(p), Avx2.ShiftLeftLogicalVariable(words.AsUInt32(), selector.AsUInt32()).AsSingle()), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddKeptMasked(Vector256<float> scale, Vector256<float> words, Vector256<float> selector, float* p, Vector256<float> lanes, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(scale, Avx.MaskLoad(p, Avx2.ShiftLeftLogicalVariable(words.AsUInt32(), selector.AsUInt32()).AsSingle() & lanes), acc);
}

/// <summary><see cref="IMaskBits{TV}"/> on 128-bit vectors: portable operations only, as on ARM64.</summary>
internal readonly unsafe struct MaskBits128 : IMaskBits<Vector128<float>>
{
    public static void Words(uint* seeds, int count, int k0, int blocks, uint threshold, uint* words)
    {
        int k = DropConnect.WordsPerMask(threshold);
        Vector128<uint> lanes = Vector128<uint>.Indices * unchecked(16u * DropConnect.ColumnStep);
        for (int r = 0; r < count; r++)
        {
            for (int b = 0; b < blocks; b++)
            {
                for (int quarter = 0; quarter < 16; quarter += 4)
                {
                    Vector128<uint> seed = Vector128.Create(seeds[r] + (uint)(256 * (k0 + b) + 16 * quarter) * DropConnect.ColumnStep) + lanes;
                    Vector128<uint> kept = Vector128<uint>.Zero;
                    for (int j = k - 1; j >= 0; j--)
                    {
                        Vector128<uint> x = seed + Vector128.Create((uint)j * DropConnect.ColumnStep);
                        x = (x ^ x >>> 16) * 0x21F0AAADu;
                        x = (x ^ x >>> 15) * 0x735A2D97u;
                        x ^= x >>> 15;
                        kept = (threshold >> (15 - j) & 1u) != 0 ? kept | x : kept & x;
                    }
                    kept.Store(words + (r * blocks + b) * 16 + quarter);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadWords(uint* p) => Vector128.Load(p).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> v)
    {
        Vector128<float> pairs = v + Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1));
        return pairs.ToScalar() + pairs.GetElement(1);
    }

    /// <summary>The bit itself in every lane: <see cref="MultiplyAddKept"/> is an and, a compare and an and before the multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Selector(int bit) => Vector128.Create(1u << bit).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddKept(Vector128<float> scale, Vector128<float> words, Vector128<float> selector, float* p, Vector128<float> acc) =>
        Simd128.MultiplyAdd(scale, Vector128.Load(p) & Vector128.Equals(words.AsUInt32() & selector.AsUInt32(), selector.AsUInt32()).AsSingle(), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddKeptMasked(Vector128<float> scale, Vector128<float> words, Vector128<float> selector, float* p, Vector128<float> lanes, Vector128<float> acc) =>
        Simd128.MultiplyAdd(scale, Simd128.LoadMasked(p, lanes) & Vector128.Equals(words.AsUInt32() & selector.AsUInt32(), selector.AsUInt32()).AsSingle(), acc);
}
