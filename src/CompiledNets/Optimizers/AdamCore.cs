using System.IO;
using System.Globalization;
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CompiledNets;

/// <summary>
/// The state and the one vectorized pass shared by <see cref="Adam"/> and <see cref="AdamW"/>: per parameter
/// <c>θ = θ · decay − stepSize · m / (sqrt(v) · invSqrtC2 + ε)</c> after the moment updates, where <c>decay</c> is
/// <c>1 − lr·λ</c> for AdamW and exactly 1 for Adam (so Adam's arithmetic is unchanged: a float times 1 is itself).
/// </summary>
/// <remarks>
/// Holds the moments of one parameter vector, allocated on the first step, so later steps allocate nothing.
/// </remarks>
internal sealed class AdamCore
{
    private readonly float _learningRate, _beta1, _beta2, _epsilon, _decay;
    private float[]? _m, _v;
    private double _beta1Power = 1, _beta2Power = 1;

    /// <summary>Checks the settings (naming the bad argument) and keeps them; <paramref name="weightDecay"/> is λ (0 for Adam).</summary>
    public AdamCore(float learningRate, float beta1, float beta2, float epsilon, float weightDecay)
    {
        OptimizerChecks.Positive(learningRate, nameof(learningRate));
        OptimizerChecks.UnitInterval(beta1, nameof(beta1));
        OptimizerChecks.UnitInterval(beta2, nameof(beta2));
        OptimizerChecks.Positive(epsilon, nameof(epsilon));
        OptimizerChecks.NonNegative(weightDecay, nameof(weightDecay));
        (_learningRate, _beta1, _beta2, _epsilon) = (learningRate, beta1, beta2, epsilon);
        // PyTorch's AdamW: param.mul_(1 - lr * weight_decay), the factor computed in double and applied in float.
        _decay = (float)(1 - (double)learningRate * weightDecay);
    }

    /// <summary>The number of steps taken so far (t in the formulas).</summary>
    public long StepCount { get; private set; }

    /// <summary>The settings Adam and AdamW share, as their descriptions write them.</summary>
    public string Settings => string.Create(CultureInfo.InvariantCulture,
        $"learningRate: {_learningRate:R}, beta1: {_beta1:R}, beta2: {_beta2:R}, epsilon: {_epsilon:R}");

    /// <summary>Writes the step count, the powers of the betas and both moments.</summary>
    public void WriteState(BinaryWriter writer)
    {
        writer.Write(StepCount);
        writer.Write(_beta1Power);
        writer.Write(_beta2Power);
        OptimizerStateIO.WriteVector(writer, _m);
        OptimizerStateIO.WriteVector(writer, _v);
    }

    /// <summary>Reads what <see cref="WriteState"/> wrote, replacing the state only once all of it has been read.</summary>
    public void ReadState(BinaryReader reader, int parameterCount)
    {
        long steps = reader.ReadInt64();
        double beta1Power = reader.ReadDouble(), beta2Power = reader.ReadDouble();
        float[]? m = OptimizerStateIO.ReadVector(reader, parameterCount);
        float[]? v = OptimizerStateIO.ReadVector(reader, parameterCount);
        (StepCount, _beta1Power, _beta2Power, _m, _v) = (steps, beta1Power, beta2Power, m, v);
    }

    /// <summary>
    /// One step; with more than one thread (and enough parameters), the pass split between two threads. With the network's
    /// <paramref name="tensors"/>, each weight matrix is split by rows at <see cref="Kernels.Gemm.OwnerSplit"/>, as the
    /// forward product and the weight gradient split it, so each core updates the half whose gradient it computed and
    /// that it reads in the next forward pass; without them, in two contiguous halves. Each parameter is updated the same
    /// way whatever the split.
    /// </summary>
    public unsafe void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int threads, IReadOnlyList<ParameterTensor>? tensors)
    {
        OptimizerChecks.SameLength(parameters, gradients);
        _m ??= new float[parameters.Length];
        _v ??= new float[parameters.Length];
        OptimizerChecks.StateLength(_m.Length, parameters.Length);

        StepCount++;
        _beta1Power *= _beta1;
        _beta2Power *= _beta2;
        // Folding both corrections into the step keeps the loop to one division:
        // lr · m̂ / (sqrt(v̂) + ε) = (lr / c1) · m / (sqrt(v) / sqrt(c2) + ε).
        var job = new UpdateJob
        {
            StepSize = (float)(_learningRate / (1 - _beta1Power)),
            InvSqrtC2 = (float)(1 / Math.Sqrt(1 - _beta2Power)),
            B1 = _beta1, B2 = _beta2, C1 = 1 - _beta1, C2 = 1 - _beta2, Epsilon = _epsilon, Decay = _decay,
            Length = parameters.Length,
        };
        bool split = threads > 1 && Kernels.KernelThreads.Available > 1 && parameters.Length >= ParallelThreshold;
        int count = split && tensors is not null && tensors.Count <= MaxTensors && Covers(tensors, parameters.Length) ? tensors.Count : 0;
        int* layout = stackalloc int[Math.Max(1, 2 * count)];
        for (int t = 0; t < count; t++)
        {
            IReadOnlyList<int> shape = tensors![t].Shape;
            int columns = shape[shape.Count - 1];
            layout[2 * t] = tensors[t].Offset;
            layout[2 * t + 1] = tensors[t].Offset + Kernels.Gemm.OwnerSplit(tensors[t].Length / columns) * columns;
        }
        fixed (float* p = parameters, g = gradients, m = _m, v = _v)
        {
            job.Parameters = p;
            job.Gradients = g;
            job.Moment1 = m;
            job.Moment2 = v;
            job.Layout = layout;
            job.Tensors = count;
            if (split)
                Kernels.Workers.Run(threads, 2, &UpdateHalf, &job);
            else
                Update(p, g, m, v, parameters.Length, ref job);
        }
    }

    /// <summary>Below this many parameters the pass is not worth splitting.</summary>
    private const int ParallelThreshold = 1 << 15;

    /// <summary>At most this many tensors are split by rows (their layout is kept on the stack).</summary>
    private const int MaxTensors = 256;

    /// <summary>Whether the tensors tile [0, length) exactly, in order.</summary>
    private static bool Covers(IReadOnlyList<ParameterTensor> tensors, int length)
    {
        int next = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            if (tensors[t].Offset != next) return false;
            next += tensors[t].Length;
        }
        return next == length;
    }

    private unsafe struct UpdateJob
    {
        public float* Parameters, Gradients, Moment1, Moment2;
        public int Length;
        public int* Layout; // per tensor: its offset, and where its second half (by rows) starts
        public int Tensors;
        public float StepSize, InvSqrtC2, B1, B2, C1, C2, Epsilon, Decay;
    }

    /// <summary>Half <paramref name="part"/> (0 or 1): its rows of every tensor, or its half of the whole vector.</summary>
    private static unsafe void UpdateHalf(void* state, int part, int parts)
    {
        ref UpdateJob job = ref *(UpdateJob*)state;
        if (job.Tensors == 0)
        {
            int middle = (job.Length / 2 + 15) & ~15; // a whole cache line of floats: no line is written by both threads
            int first = part == 0 ? 0 : middle, last = part == 0 ? middle : job.Length;
            if (first < last) Update(job.Parameters + first, job.Gradients + first, job.Moment1 + first, job.Moment2 + first, last - first, ref job);
            return;
        }
        for (int t = 0; t < job.Tensors; t++)
        {
            int start = job.Layout[2 * t], middle = job.Layout[2 * t + 1];
            int end = t + 1 < job.Tensors ? job.Layout[2 * t + 2] : job.Length;
            int first = part == 0 ? start : middle, last = part == 0 ? middle : end;
            if (first < last) Update(job.Parameters + first, job.Gradients + first, job.Moment1 + first, job.Moment2 + first, last - first, ref job);
        }
    }

    /// <summary>
    /// Moments below the smallest normal float are set to zero, as a CPU in flush-to-zero mode would. Their effect
    /// on an update is below 1e-38 / ε, far under a float's resolution; but a parameter whose gradient is mostly zero
    /// (a weight from a pixel that is nearly always background) has moments that decay through the subnormal range over
    /// thousands of steps, and arithmetic on subnormals is tens of times slower on some CPUs.
    /// </summary>
    private const float SmallestNormal = 1.17549435E-38f; // 2^-126

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FlushSubnormal(float x) => MathF.Abs(x) < SmallestNormal ? 0f : x;

    /// <summary>
    /// The update in one pass over the four arrays, a vector of parameters at a time with fused multiply-adds (at the
    /// process's vector width): <c>m = β₁m + (1−β₁)g</c>, <c>v = β₂v + (1−β₂)g²</c>,
    /// <c>θ = θ · decay − stepSize · m / (sqrt(v) · invSqrtC2 + ε)</c>.
    /// </summary>
    private static unsafe void Update(float* p, float* g, float* m, float* v, int n, ref UpdateJob k)
    {
        switch (Kernels.Simd.Level)
        {
            case Kernels.SimdLevel.Vector512: Update<Vector512<float>, Kernels.Simd512>(p, g, m, v, n, ref k); break;
            case Kernels.SimdLevel.Vector256: Update<Vector256<float>, Kernels.Simd256>(p, g, m, v, n, ref k); break;
            case Kernels.SimdLevel.Vector128: Update<Vector128<float>, Kernels.Simd128>(p, g, m, v, n, ref k); break;
            default: UpdateScalar(p, g, m, v, n, ref k); break;
        }
    }

    /// <summary>
    /// Whole vectors, then the last few parameters through one more vector over a zero-padded copy: every parameter is
    /// updated by the same arithmetic, wherever it falls (so a split between threads cannot change a result).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Update<TV, TS>(float* p, float* g, float* m, float* v, int n, ref UpdateJob k)
        where TV : unmanaged where TS : Kernels.ISimd<TV>
    {
        var c = new VectorConstants<TV>
        {
            B1 = TS.Broadcast(k.B1), B2 = TS.Broadcast(k.B2), C1 = TS.Broadcast(k.C1), C2 = TS.Broadcast(k.C2),
            Epsilon = TS.Broadcast(k.Epsilon), Scale = TS.Broadcast(k.InvSqrtC2), Step = TS.Broadcast(-k.StepSize),
            Smallest = TS.Broadcast(SmallestNormal), Decay = TS.Broadcast(k.Decay),
        };
        int w = TS.Width, i = 0;
        for (; i <= n - w; i += w)
            UpdateVector<TV, TS>(p + i, g + i, m + i, v + i, ref c);
        if (i == n) return;
        // The partial last vector, padded with zeros (which update to zeros and are not copied back).
        int rest = n - i;
        float* pad = stackalloc float[4 * 16];
        new Span<float>(pad, 4 * 16).Clear();
        for (int j = 0; j < rest; j++)
            (pad[j], pad[16 + j], pad[32 + j], pad[48 + j]) = (p[i + j], g[i + j], m[i + j], v[i + j]);
        UpdateVector<TV, TS>(pad, pad + 16, pad + 32, pad + 48, ref c);
        for (int j = 0; j < rest; j++)
            (p[i + j], m[i + j], v[i + j]) = (pad[j], pad[32 + j], pad[48 + j]);
    }

    private struct VectorConstants<TV> where TV : unmanaged
    {
        public TV B1, B2, C1, C2, Epsilon, Scale, Step, Smallest, Decay;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void UpdateVector<TV, TS>(float* p, float* g, float* m, float* v, ref VectorConstants<TV> c)
        where TV : unmanaged where TS : Kernels.ISimd<TV>
    {
        TV gv = TS.Load(g);
        TV mv = TS.MultiplyAdd(TS.Load(m), c.B1, TS.Multiply(gv, c.C1));
        TV vv = TS.MultiplyAdd(gv, TS.Multiply(gv, c.C2), TS.Multiply(TS.Load(v), c.B2));
        // Flush subnormal moments to zero (see FlushSubnormal).
        mv = TS.ZeroWhereSmall(mv, c.Smallest);
        vv = TS.ZeroWhereSmall(vv, c.Smallest);
        TV denominator = TS.MultiplyAdd(TS.Sqrt(vv), c.Scale, c.Epsilon);
        TV pv = TS.MultiplyAdd(c.Step, TS.Divide(mv, denominator), TS.Multiply(TS.Load(p), c.Decay));
        TS.Store(m, mv);
        TS.Store(v, vv);
        TS.Store(p, pv);
    }

    /// <summary>The update in plain loops, for machines without an accelerated vector unit.</summary>
    private static unsafe void UpdateScalar(float* p, float* g, float* m, float* v, int n, ref UpdateJob k)
    {
        float stepSize = k.StepSize, invSqrtC2 = k.InvSqrtC2, b1 = k.B1, b2 = k.B2, c1 = k.C1, c2 = k.C2, eps = k.Epsilon, decay = k.Decay;
        for (int i = 0; i < n; i++)
        {
            float gi = g[i];
            float mi = FlushSubnormal(MathF.FusedMultiplyAdd(m[i], b1, gi * c1));
            float vi = FlushSubnormal(MathF.FusedMultiplyAdd(gi, gi * c2, v[i] * b2));
            m[i] = mi;
            v[i] = vi;
            p[i] = MathF.FusedMultiplyAdd(-stepSize, mi / MathF.FusedMultiplyAdd(MathF.Sqrt(vi), invSqrtC2, eps), p[i] * decay);
        }
    }
}
