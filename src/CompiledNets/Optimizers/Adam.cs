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
/// Adam (Kingma and Ba, 2015, Algorithm 1), with bias correction, in one vectorized pass over the flat parameters:
/// <c>m = β₁m + (1−β₁)g</c>, <c>v = β₂v + (1−β₂)g²</c>, <c>θ −= lr · m̂ / (sqrt(v̂) + ε)</c> with
/// <c>m̂ = m / (1−β₁ᵗ)</c>, <c>v̂ = v / (1−β₂ᵗ)</c>. The defaults are TensorFlow's <c>AdamOptimizer(0.001)</c>.
/// </summary>
/// <remarks>
/// An instance holds the moments of one parameter vector: use one optimizer per network. Its state is
/// allocated on the first <see cref="Step(Span{float}, ReadOnlySpan{float})"/>, so later steps allocate nothing.
/// </remarks>
public sealed class Adam : IStatefulOptimizer
{
    private readonly float _learningRate, _beta1, _beta2, _epsilon;
    private float[]? _m, _v;
    private double _beta1Power = 1, _beta2Power = 1;

    /// <summary>Creates an Adam optimizer.</summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; positive and finite.</param>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        OptimizerChecks.Positive(learningRate, nameof(learningRate));
        OptimizerChecks.UnitInterval(beta1, nameof(beta1));
        OptimizerChecks.UnitInterval(beta2, nameof(beta2));
        OptimizerChecks.Positive(epsilon, nameof(epsilon));
        (_learningRate, _beta1, _beta2, _epsilon) = (learningRate, beta1, beta2, epsilon);
    }

    /// <summary>The number of steps taken so far (t in the formulas).</summary>
    public long StepCount { get; private set; }

    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"Adam(learningRate: {_learningRate:R}, beta1: {_beta1:R}, beta2: {_beta2:R}, epsilon: {_epsilon:R})");

    /// <inheritdoc/>
    public void WriteState(BinaryWriter writer)
    {
        writer.Write(StepCount);
        writer.Write(_beta1Power);
        writer.Write(_beta2Power);
        OptimizerStateIO.WriteVector(writer, _m);
        OptimizerStateIO.WriteVector(writer, _v);
    }

    /// <inheritdoc/>
    public void ReadState(BinaryReader reader, int parameterCount)
    {
        long steps = reader.ReadInt64();
        double beta1Power = reader.ReadDouble(), beta2Power = reader.ReadDouble();
        float[]? m = OptimizerStateIO.ReadVector(reader, parameterCount);
        float[]? v = OptimizerStateIO.ReadVector(reader, parameterCount);
        (StepCount, _beta1Power, _beta2Power, _m, _v) = (steps, beta1Power, beta2Power, m, v);
    }

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => Step(parameters, gradients, threads: 1, tensors: null);

    /// <summary>
    /// <see cref="Step(Span{float}, ReadOnlySpan{float})"/> with the pass split between two threads. With the network's
    /// <paramref name="tensors"/>, each weight matrix is split by rows at <see cref="Kernels.Gemm.OwnerSplit"/>, as the
    /// forward product and the weight gradient split it, so each core updates the half whose gradient it computed and
    /// that it reads in the next forward pass; without them, in two contiguous halves. Each parameter is updated the same
    /// way whatever the split.
    /// </summary>
    internal unsafe void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int threads, IReadOnlyList<ParameterTensor>? tensors)
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
            B1 = _beta1, B2 = _beta2, C1 = 1 - _beta1, C2 = 1 - _beta2, Epsilon = _epsilon,
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
        public float StepSize, InvSqrtC2, B1, B2, C1, C2, Epsilon;
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
    /// The update in one pass over the four arrays, 16 (or 8) parameters at a time with fused multiply-adds:
    /// <c>m = β₁m + (1−β₁)g</c>, <c>v = β₂v + (1−β₂)g²</c>, <c>θ −= stepSize · m / (sqrt(v) · invSqrtC2 + ε)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Update(float* p, float* g, float* m, float* v, int n, ref UpdateJob k)
    {
        float stepSize = k.StepSize, invSqrtC2 = k.InvSqrtC2, b1 = k.B1, b2 = k.B2, c1 = k.C1, c2 = k.C2, eps = k.Epsilon;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            Vector512<float> vb1 = Vector512.Create(b1), vb2 = Vector512.Create(b2), vc1 = Vector512.Create(c1), vc2 = Vector512.Create(c2);
            Vector512<float> vEps = Vector512.Create(eps), vScale = Vector512.Create(invSqrtC2), vStep = Vector512.Create(-stepSize);
            Vector512<float> smallest = Vector512.Create(SmallestNormal);
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> gv = Vector512.Load(g + i);
                Vector512<float> mv = Vector512.FusedMultiplyAdd(Vector512.Load(m + i), vb1, gv * vc1);
                Vector512<float> vv = Vector512.FusedMultiplyAdd(gv, gv * vc2, Vector512.Load(v + i) * vb2);
                // Flush subnormal moments to zero (see FlushSubnormal).
                mv = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(mv), smallest), Vector512<float>.Zero, mv);
                vv = Vector512.ConditionalSelect(Vector512.LessThan(vv, smallest), Vector512<float>.Zero, vv);
                Vector512<float> denominator = Vector512.FusedMultiplyAdd(Vector512.Sqrt(vv), vScale, vEps);
                Vector512<float> pv = Vector512.FusedMultiplyAdd(vStep, mv / denominator, Vector512.Load(p + i));
                mv.Store(m + i);
                vv.Store(v + i);
                pv.Store(p + i);
            }
            if (i < n)
            {
                // The partial last vector: masked loads read zeros past the end (which update to zeros) and masked stores
                // leave that memory alone.
                Vector512<float> lanes = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
                Vector512<float> gv = Avx512F.MaskLoad(g + i, lanes, Vector512<float>.Zero);
                Vector512<float> mv = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(m + i, lanes, Vector512<float>.Zero), vb1, gv * vc1);
                Vector512<float> vv = Vector512.FusedMultiplyAdd(gv, gv * vc2, Avx512F.MaskLoad(v + i, lanes, Vector512<float>.Zero) * vb2);
                mv = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(mv), smallest), Vector512<float>.Zero, mv);
                vv = Vector512.ConditionalSelect(Vector512.LessThan(vv, smallest), Vector512<float>.Zero, vv);
                Vector512<float> denominator = Vector512.FusedMultiplyAdd(Vector512.Sqrt(vv), vScale, vEps);
                Vector512<float> pv = Vector512.FusedMultiplyAdd(vStep, mv / denominator, Avx512F.MaskLoad(p + i, lanes, Vector512<float>.Zero));
                Avx512F.MaskStore(m + i, lanes, mv);
                Avx512F.MaskStore(v + i, lanes, vv);
                Avx512F.MaskStore(p + i, lanes, pv);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vb1 = Vector256.Create(b1), vb2 = Vector256.Create(b2), vc1 = Vector256.Create(c1), vc2 = Vector256.Create(c2);
            Vector256<float> vEps = Vector256.Create(eps), vScale = Vector256.Create(invSqrtC2), vStep = Vector256.Create(-stepSize);
            Vector256<float> smallest = Vector256.Create(SmallestNormal);
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> gv = Vector256.Load(g + i);
                Vector256<float> mv = Vector256.FusedMultiplyAdd(Vector256.Load(m + i), vb1, gv * vc1);
                Vector256<float> vv = Vector256.FusedMultiplyAdd(gv, gv * vc2, Vector256.Load(v + i) * vb2);
                // Flush subnormal moments to zero (see FlushSubnormal).
                mv = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(mv), smallest), Vector256<float>.Zero, mv);
                vv = Vector256.ConditionalSelect(Vector256.LessThan(vv, smallest), Vector256<float>.Zero, vv);
                Vector256<float> denominator = Vector256.FusedMultiplyAdd(Vector256.Sqrt(vv), vScale, vEps);
                Vector256<float> pv = Vector256.FusedMultiplyAdd(vStep, mv / denominator, Vector256.Load(p + i));
                mv.Store(m + i);
                vv.Store(v + i);
                pv.Store(p + i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float mi = FlushSubnormal(MathF.FusedMultiplyAdd(m[i], b1, gi * c1));
            float vi = FlushSubnormal(MathF.FusedMultiplyAdd(gi, gi * c2, v[i] * b2));
            m[i] = mi;
            v[i] = vi;
            p[i] = MathF.FusedMultiplyAdd(-stepSize, mi / MathF.FusedMultiplyAdd(MathF.Sqrt(vi), invSqrtC2, eps), p[i]);
        }
    }
}
