using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
/// <para>The mask of one (example, row) pair starts from a 32-bit row seed, <c>SplitMix64.Mix(key + (b · inputs + i + 1) ·
/// Increment)</c>; columns <c>2q</c> and <c>2q + 1</c> take the low and high 16 bits of <c>hash32(seed + q · 0x9E3779B9)</c>
/// (Wellons' lowbias32 finalizer: two 32-bit multiplies and three xor-shifts, a vector of column pairs at a time) and are
/// kept when those bits are below <c>round(p · 2¹⁶)</c>, so p is used rounded to a multiple of 2⁻¹⁶ (exact for 0.5, 0.25,
/// ...). One hash serves two weights: the hash is most of the kernel's work.</para>
/// <para>Rows whose input is zero are skipped in the forward pass and in the weight gradient (ReLU outputs and image
/// background) when the weights are finite. The forward pass splits the batch between threads, the backward pass the
/// rows of the weight matrix; each output element is summed in the same order whatever the split.</para>
/// </remarks>
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
    /// The keep threshold of <paramref name="keepProbability"/>, <c>round(p · 2¹⁶)</c>: a weight is kept when its 16 hash
    /// bits are below it; null when every weight is kept (p rounds to 1).
    /// </summary>
    internal static uint? Threshold(float keepProbability)
    {
        if (!(keepProbability > 0f && keepProbability <= 1f))
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "Must be in (0, 1].");
        uint threshold = (uint)Math.Round(keepProbability * 65536.0);
        return threshold > ushort.MaxValue ? null : threshold;
    }

    /// <summary>Whether column <paramref name="column"/> of the mask row with seed <paramref name="seed"/> is kept: the low (even columns) or high (odd) 16 bits of the hash of the column pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool KeptAt(uint seed, int column, uint threshold)
    {
        uint hash = Hash(seed + (uint)(column >> 1) * ColumnStep);
        return ((column & 1) == 0 ? hash & 0xFFFFu : hash >> 16) < threshold;
    }

    /// <summary>The row seed of example <paramref name="example"/>, weight row <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint RowSeed(ulong key, int example, int row, int inputs) =>
        (uint)SplitMix64.Mix(key + ((ulong)example * (ulong)inputs + (ulong)row + 1UL) * SplitMix64.Increment);

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

    /// <summary>Examples [first, last): bias, then the masked sums a block of weight rows at a time, then the activation.</summary>
    private static void ForwardRows(ref Job job, int first, int last)
    {
        int n = job.Outputs;
        for (int b = first; b < last; b++)
            new ReadOnlySpan<float>(job.Bias, n).CopyTo(new Span<float>(job.Y + (long)b * n, n));
        int block = BlockRows(n);
        for (int i0 = 0; i0 < job.Inputs; i0 += block)
        {
            int i1 = Math.Min(job.Inputs, i0 + block);
            for (int b = first; b < last; b++)
            {
                switch (job.Level)
                {
                    case SimdLevel.Vector512: Kernel<Vector512<float>, Simd512, DropLanes512>.ForwardRow(ref job, b, i0, i1); break;
                    case SimdLevel.Vector256: Kernel<Vector256<float>, Simd256, DropLanes256>.ForwardRow(ref job, b, i0, i1); break;
                    case SimdLevel.Vector128: Kernel<Vector128<float>, Simd128, DropLanes128>.ForwardRow(ref job, b, i0, i1); break;
                    default: ScalarForwardRow(ref job, b, i0, i1, 0); break;
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
        for (int i0 = r0; i0 < r1; i0 += block)
        {
            int i1 = Math.Min(r1, i0 + block);
            if (job.DX == null && job.Level != SimdLevel.Scalar)
            {
                // No input gradient: each weight-gradient vector is summed over the examples in registers.
                switch (job.Level)
                {
                    case SimdLevel.Vector512: Kernel<Vector512<float>, Simd512, DropLanes512>.WeightGradientRows(ref job, i0, i1); break;
                    case SimdLevel.Vector256: Kernel<Vector256<float>, Simd256, DropLanes256>.WeightGradientRows(ref job, i0, i1); break;
                    default: Kernel<Vector128<float>, Simd128, DropLanes128>.WeightGradientRows(ref job, i0, i1); break;
                }
                continue;
            }
            for (int b = 0; b < job.Batch; b++)
            {
                switch (job.Level)
                {
                    case SimdLevel.Vector512: Kernel<Vector512<float>, Simd512, DropLanes512>.BackwardRow(ref job, b, i0, i1); break;
                    case SimdLevel.Vector256: Kernel<Vector256<float>, Simd256, DropLanes256>.BackwardRow(ref job, b, i0, i1); break;
                    case SimdLevel.Vector128: Kernel<Vector128<float>, Simd128, DropLanes128>.BackwardRow(ref job, b, i0, i1); break;
                    default: ScalarBackwardRow(ref job, b, i0, i1, 0); break;
                }
            }
        }
    }

    /// <summary>Columns [from, outputs) of example <paramref name="b"/> over weight rows [i0, i1), one at a time.</summary>
    private static void ScalarForwardRow(ref Job job, int b, int i0, int i1, int from)
    {
        int n = job.Outputs;
        float* y = job.Y + (long)b * n, x = job.X + (long)b * job.Inputs;
        for (int i = i0; i < i1; i++)
        {
            float xi = x[i];
            if (xi == 0f && job.SkipZeros) continue;
            float* w = job.W + (long)i * n;
            uint seed = RowSeed(job.Key, b, i, job.Inputs);
            for (int o = from; o < n; o++)
            {
                if (job.KeepAll || KeptAt(seed, o, job.Threshold))
                    y[o] = MathF.FusedMultiplyAdd(xi, w[o], y[o]);
            }
        }
    }

    /// <summary>Columns [from, outputs) of example <paramref name="b"/>'s backward over weight rows [i0, i1).</summary>
    private static void ScalarBackwardRow(ref Job job, int b, int i0, int i1, int from)
    {
        int n = job.Outputs;
        float* dy = job.Y + (long)b * n, x = job.X + (long)b * job.Inputs;
        for (int i = i0; i < i1; i++)
        {
            float xi = x[i];
            bool weightGradient = xi != 0f;
            if (!weightGradient && job.DX == null) continue;
            float* w = job.W + (long)i * n, dw = job.DW + (long)i * n;
            uint seed = RowSeed(job.Key, b, i, job.Inputs);
            float sum = 0f;
            for (int o = from; o < n; o++)
            {
                if (!job.KeepAll && !KeptAt(seed, o, job.Threshold)) continue;
                if (weightGradient) dw[o] = MathF.FusedMultiplyAdd(xi, dy[o], dw[o]);
                sum = MathF.FusedMultiplyAdd(w[o], dy[o], sum);
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

    /// <summary>The vector rows, written once for every width: two vectors of columns per vector of hashes, a masked pair at the end.</summary>
    private static class Kernel<TV, TS, TM> where TV : unmanaged where TS : ISimd<TV> where TM : IDropLanes<TV>
    {
        /// <summary>
        /// Example <paramref name="b"/> over weight rows [i0, i1): its nonzero inputs and their row seeds gathered, then
        /// <see cref="AccumulateMasked"/> over those weight rows.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ForwardRow(ref Job job, int b, int i0, int i1)
        {
            int n = job.Outputs;
            float* x = job.X + (long)b * job.Inputs;
            float** rows = stackalloc float*[i1 - i0];
            float* scales = stackalloc float[i1 - i0];
            uint* seeds = stackalloc uint[i1 - i0];
            int count = 0;
            for (int i = i0; i < i1; i++)
            {
                if (x[i] == 0f && job.SkipZeros) continue;
                rows[count] = job.W + (long)i * n;
                scales[count] = x[i];
                seeds[count++] = RowSeed(job.Key, b, i, job.Inputs);
            }
            AccumulateMasked(job.Y + (long)b * n, n, rows, scales, seeds, count, job.Threshold, job.KeepAll);
        }

        /// <summary>
        /// The weight gradient of rows [i0, i1) without an input gradient: per weight row, the examples with a nonzero input
        /// and their row seeds gathered (up to <see cref="MaxBlock"/> at a time), then <see cref="AccumulateMasked"/> over
        /// those examples' output gradients.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void WeightGradientRows(ref Job job, int i0, int i1)
        {
            int n = job.Outputs;
            float** rows = stackalloc float*[MaxBlock];
            float* scales = stackalloc float[MaxBlock];
            uint* seeds = stackalloc uint[MaxBlock];
            for (int i = i0; i < i1; i++)
            {
                for (int b0 = 0; b0 < job.Batch; b0 += MaxBlock)
                {
                    int count = 0;
                    for (int b = b0; b < Math.Min(job.Batch, b0 + MaxBlock); b++)
                    {
                        float xi = job.X[(long)b * job.Inputs + i];
                        if (xi == 0f) continue;
                        rows[count] = job.Y + (long)b * n;
                        scales[count] = xi;
                        seeds[count++] = RowSeed(job.Key, b, i, job.Inputs);
                    }
                    AccumulateMasked(job.DW + (long)i * n, n, rows, scales, seeds, count, job.Threshold, job.KeepAll);
                }
            }
        }

        /// <summary>
        /// <c>destination[:n] += Σ_k scales[k] · (rows[k][:n] ⊙ mask(seeds[k]))</c>, in k order: each pair of vectors of
        /// columns summed in registers over every k, then a masked pair for the last columns.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AccumulateMasked(float* destination, int n, float** rows, float* scales, uint* seeds, int count, uint threshold, bool keepAll)
        {
            if (count == 0) return;
            int width = TS.Width, pair = 2 * width, whole = n - n % pair, rest = n - whole;
            TV d0 = TS.Zero, d1 = TS.Zero;
            for (int o = 0; o < whole; o += pair)
            {
                TV acc0 = TS.Load(destination + o), acc1 = TS.Load(destination + o + width);
                for (int k = 0; k < count; k++)
                {
                    float* row = rows[k] + o;
                    if (!keepAll) TM.Dropped(seeds[k], o, threshold, out d0, out d1);
                    TV scale = TS.Broadcast(scales + k);
                    acc0 = TS.MultiplyAdd(scale, TS.AndNot(TS.Load(row), d0), acc0);
                    acc1 = TS.MultiplyAdd(scale, TS.AndNot(TS.Load(row + width), d1), acc1);
                }
                TS.Store(destination + o, acc0);
                TS.Store(destination + o + width, acc1);
            }
            if (rest == 0) return;
            TV firstLanes = TS.FirstLanes(Math.Min(rest, width)), secondLanes = TS.FirstLanes(rest - width);
            float* last = destination + whole;
            TV tail0 = TS.LoadMasked(last, firstLanes), tail1 = TS.LoadMasked(last + width, secondLanes);
            for (int k = 0; k < count; k++)
            {
                float* row = rows[k] + whole;
                if (!keepAll) TM.Dropped(seeds[k], whole, threshold, out d0, out d1);
                TV scale = TS.Broadcast(scales + k);
                tail0 = TS.MultiplyAdd(scale, TS.AndNot(TS.LoadMasked(row, firstLanes), d0), tail0);
                tail1 = TS.MultiplyAdd(scale, TS.AndNot(TS.LoadMasked(row + width, secondLanes), d1), tail1);
            }
            TS.StoreMasked(last, tail0, firstLanes);
            TS.StoreMasked(last + width, tail1, secondLanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void BackwardRow(ref Job job, int b, int i0, int i1)
        {
            int n = job.Outputs, width = TS.Width, pair = 2 * width, whole = n - n % pair, rest = n - whole;
            float* dy = job.Y + (long)b * n, x = job.X + (long)b * job.Inputs;
            uint threshold = job.Threshold;
            bool keepAll = job.KeepAll;
            float* dx = job.DX == null ? null : job.DX + (long)b * job.Inputs;
            TV firstLanes = TS.FirstLanes(Math.Min(rest, width)), secondLanes = TS.FirstLanes(rest - width);
            for (int i = i0; i < i1; i++)
            {
                float xi = x[i];
                bool weightGradient = xi != 0f;
                if (!weightGradient && dx == null) continue;
                float* w = job.W + (long)i * n, dw = job.DW + (long)i * n;
                uint seed = RowSeed(job.Key, b, i, job.Inputs);
                TV xv = TS.Broadcast(xi);
                TV sum0 = TS.Zero, sum1 = TS.Zero, d0 = TS.Zero, d1 = TS.Zero;
                for (int o = 0; o < whole; o += pair)
                {
                    if (!keepAll) TM.Dropped(seed, o, threshold, out d0, out d1);
                    TV g0 = TS.AndNot(TS.Load(dy + o), d0), g1 = TS.AndNot(TS.Load(dy + o + width), d1);
                    if (weightGradient)
                    {
                        TS.Store(dw + o, TS.MultiplyAdd(xv, g0, TS.Load(dw + o)));
                        TS.Store(dw + o + width, TS.MultiplyAdd(xv, g1, TS.Load(dw + o + width)));
                    }
                    sum0 = TS.MultiplyAdd(TS.Load(w + o), g0, sum0);
                    sum1 = TS.MultiplyAdd(TS.Load(w + o + width), g1, sum1);
                }
                if (rest > 0)
                {
                    if (!keepAll) TM.Dropped(seed, whole, threshold, out d0, out d1);
                    float* dyo = dy + whole, wo = w + whole, dwo = dw + whole;
                    TV g0 = TS.AndNot(TS.LoadMasked(dyo, firstLanes), d0);
                    if (weightGradient) TS.StoreMasked(dwo, TS.MultiplyAdd(xv, g0, TS.LoadMasked(dwo, firstLanes)), firstLanes);
                    sum0 = TS.MultiplyAdd(TS.LoadMasked(wo, firstLanes), g0, sum0);
                    if (rest > width)
                    {
                        TV g1 = TS.AndNot(TS.LoadMasked(dyo + width, secondLanes), d1);
                        if (weightGradient) TS.StoreMasked(dwo + width, TS.MultiplyAdd(xv, g1, TS.LoadMasked(dwo + width, secondLanes)), secondLanes);
                        sum1 = TS.MultiplyAdd(TS.LoadMasked(wo + width, secondLanes), g1, sum1);
                    }
                }
                if (dx != null) dx[i] = TS.Sum(TS.Add(sum0, sum1));
            }
        }
    }
}

/// <summary>
/// The dropped lanes (all bits set where a weight is dropped) of two vectors of consecutive columns of one mask row,
/// starting at an even <c>column</c>: one vector of hashes of column pairs, read as 16-bit halves in column order.
/// </summary>
internal interface IDropLanes<TV> where TV : unmanaged
{
    static abstract void Dropped(uint seed, int column, uint threshold, out TV first, out TV second);
}

/// <summary><see cref="IDropLanes{TV}"/> on 512-bit vectors (the same steps at each width: the BCL's ISimdVector is not public to write them once).</summary>
internal readonly struct DropLanes512 : IDropLanes<Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dropped(uint seed, int column, uint threshold, out Vector512<float> first, out Vector512<float> second)
    {
        Vector512<uint> x = Vector512.Create(seed + (uint)(column >> 1) * DropConnect.ColumnStep) + Vector512<uint>.Indices * DropConnect.ColumnStep;
        x = (x ^ x >>> 16) * 0x21F0AAADu;
        x = (x ^ x >>> 15) * 0x735A2D97u;
        Vector512<ushort> halves = (x ^ x >>> 15).AsUInt16();
        (Vector512<int> lower, Vector512<int> upper) = Vector512.Widen(Vector512.GreaterThanOrEqual(halves, Vector512.Create((ushort)threshold)).AsInt16());
        first = lower.AsSingle();
        second = upper.AsSingle();
    }
}

/// <summary><see cref="IDropLanes{TV}"/> on 256-bit vectors (the same steps at each width: the BCL's ISimdVector is not public to write them once).</summary>
internal readonly struct DropLanes256 : IDropLanes<Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dropped(uint seed, int column, uint threshold, out Vector256<float> first, out Vector256<float> second)
    {
        Vector256<uint> x = Vector256.Create(seed + (uint)(column >> 1) * DropConnect.ColumnStep) + Vector256<uint>.Indices * DropConnect.ColumnStep;
        x = (x ^ x >>> 16) * 0x21F0AAADu;
        x = (x ^ x >>> 15) * 0x735A2D97u;
        Vector256<ushort> halves = (x ^ x >>> 15).AsUInt16();
        (Vector256<int> lower, Vector256<int> upper) = Vector256.Widen(Vector256.GreaterThanOrEqual(halves, Vector256.Create((ushort)threshold)).AsInt16());
        first = lower.AsSingle();
        second = upper.AsSingle();
    }
}

/// <summary><see cref="IDropLanes{TV}"/> on 128-bit vectors (the same steps at each width: the BCL's ISimdVector is not public to write them once).</summary>
internal readonly struct DropLanes128 : IDropLanes<Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dropped(uint seed, int column, uint threshold, out Vector128<float> first, out Vector128<float> second)
    {
        Vector128<uint> x = Vector128.Create(seed + (uint)(column >> 1) * DropConnect.ColumnStep) + Vector128<uint>.Indices * DropConnect.ColumnStep;
        x = (x ^ x >>> 16) * 0x21F0AAADu;
        x = (x ^ x >>> 15) * 0x735A2D97u;
        Vector128<ushort> halves = (x ^ x >>> 15).AsUInt16();
        (Vector128<int> lower, Vector128<int> upper) = Vector128.Widen(Vector128.GreaterThanOrEqual(halves, Vector128.Create((ushort)threshold)).AsInt16());
        first = lower.AsSingle();
        second = upper.AsSingle();
    }
}
