using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CompiledNets.Randomness;

namespace CompiledNets.Kernels;

/// <summary>
/// Concrete dropout (Gal, Hron &amp; Kendall 2017) over flat spans: the relaxed Bernoulli drop mask, the training forward
/// and backward through it, and the two regularizer terms of Gal's reference code with their gradients. With
/// <c>p = sigmoid(logit)</c> the drop probability, u ~ U(0, 1), ε = 1e-7 and temperature t = 0.1:
/// <c>z = sigmoid((log(p + ε) − log(1 − p + ε) + log(u + ε) − log(1 − u + ε)) / t)</c> and the output is
/// <c>x · (1 − z) / (1 − p)</c>.
/// </summary>
/// <remarks>
/// <c>sigmoid(a / t) = 1 / (1 + exp(−a / t))</c> and <c>exp(−a / t) = (k · (1 − u + ε) / (u + ε))^(1/t)</c> with
/// <c>k = (1 − p + ε) / (p + ε)</c>: for t = 0.1 the power is four multiplications, so the mask needs no logarithm or
/// exponential per element. Where the power overflows, z is 0; where it underflows, 1.
/// </remarks>
public static unsafe class ConcreteDropout
{
    /// <summary>The relaxation's temperature, as in Gal's code.</summary>
    public const float Temperature = 0.1f;

    /// <summary>ε in the logarithms of the relaxed mask (Keras' <c>epsilon()</c>).</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>The drop probability of a logit, <c>sigmoid(logit)</c>.</summary>
    public static float Rate(float logit) => (float)(1.0 / (1.0 + Math.Exp(-(double)logit)));

    /// <summary>The logit of a drop probability, <c>log(rate) − log(1 − rate)</c>.</summary>
    public static float Logit(double rate) => (float)(Math.Log(rate) - Math.Log(1 - rate));

    /// <summary>
    /// Fills <paramref name="z"/> with fresh relaxed drop masks for <paramref name="logit"/>. The uniforms come two from each
    /// 64-bit output of <paramref name="rng"/> (its low then high 32-bit half h mapped to ((h &gt;&gt; 9) + 0.5) / 2²³, exactly
    /// representable and in (0, 1)), so the stream advances by one output per two elements, rounded up, as
    /// <see cref="Dropout.SampleMask(Span{float}, float, float, ref SplitMix64)"/> does, and the masks after <c>Reseed(s)</c>
    /// depend on s alone, the same at every vector width.
    /// </summary>
    public static void SampleDropMask(Span<float> z, float logit, ref SplitMix64 rng)
    {
        Uniforms.Sample(Simd.Level, z, ref rng);
        DropMask(Simd.Level, z, logit);
    }

    /// <summary>Turns uniforms u (in place) into relaxed drop masks z for <paramref name="logit"/>, at a chosen vector level.</summary>
    internal static void DropMask(SimdLevel level, Span<float> values, float logit)
    {
        double p = Rate(logit);
        float k = (float)((1 - p + Epsilon) / (p + Epsilon));
        int n = values.Length;
        fixed (float* u = values)
        {
            int i = level switch
            {
                SimdLevel.Vector512 => MaskVectors<Vector512<float>, Simd512>(u, n, k),
                SimdLevel.Vector256 => MaskVectors<Vector256<float>, Simd256>(u, n, k),
                SimdLevel.Vector128 => MaskVectors<Vector128<float>, Simd128>(u, n, k),
                _ => 0,
            };
            for (; i < n; i++)
            {
                float r = k * ((1f - u[i] + Epsilon) / (u[i] + Epsilon));
                float r2 = r * r, r5 = r2 * r2 * r;
                u[i] = 1f / (1f + r5 * r5);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MaskVectors<TV, TS>(float* u, int n, float k) where TV : unmanaged where TS : ISimd<TV>
    {
        TV one = TS.Broadcast(1f), eps = TS.Broadcast(Epsilon), kv = TS.Broadcast(k);
        int i = 0;
        for (; i <= n - TS.Width; i += TS.Width)
        {
            TV uv = TS.Load(u + i);
            TV r = TS.Multiply(kv, TS.Divide(TS.Add(TS.Subtract(one, uv), eps), TS.Add(uv, eps)));
            TV r2 = TS.Multiply(r, r);
            TV r5 = TS.Multiply(TS.Multiply(r2, r2), r);
            TS.Store(u + i, TS.Divide(one, TS.MultiplyAdd(r5, r5, one)));
        }
        return i;
    }

    /// <summary>
    /// The training forward: <c>output = input · (1 − z) / (1 − p)</c> with <c>p = sigmoid(logit)</c>.
    /// <paramref name="output"/> may be <paramref name="input"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="input"/> (the exception names it).</exception>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> z, float logit)
        => Forward(Simd.Level, output, input, z, logit);

    /// <summary><see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/> at a chosen vector level (for tests).</summary>
    internal static void Forward(SimdLevel level, Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> z, float logit)
    {
        KernelArguments.Length(output.Length, input.Length, nameof(output));
        KernelArguments.Length(z.Length, input.Length, nameof(z));
        float scale = (float)(1 / (1 - (double)Rate(logit)));
        int n = input.Length;
        fixed (float* y = output, x = input, m = z)
        {
            int i = level switch
            {
                SimdLevel.Vector512 => ForwardVectors<Vector512<float>, Simd512>(y, x, m, n, scale),
                SimdLevel.Vector256 => ForwardVectors<Vector256<float>, Simd256>(y, x, m, n, scale),
                SimdLevel.Vector128 => ForwardVectors<Vector128<float>, Simd128>(y, x, m, n, scale),
                _ => 0,
            };
            for (; i < n; i++)
                y[i] = x[i] * scale * (1f - m[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ForwardVectors<TV, TS>(float* y, float* x, float* z, int n, float scale) where TV : unmanaged where TS : ISimd<TV>
    {
        TV one = TS.Broadcast(1f), s = TS.Broadcast(scale);
        int i = 0;
        for (; i <= n - TS.Width; i += TS.Width)
            TS.Store(y + i, TS.Multiply(TS.Multiply(TS.Load(x + i), s), TS.Subtract(one, TS.Load(z + i))));
        return i;
    }

    /// <summary>
    /// The training backward through the mask Forward used: writes <c>dInput = dOutput · (1 − z) / (1 − p)</c> (skipped when
    /// <paramref name="dInput"/> is empty: nothing before the layer needs it) and returns the data term of d(loss)/d(logit),
    /// <c>Σ dOutput · input · (1 − z) / (1 − p) · (p − z · c)</c> with <c>c = p(1 − p)(1/(p + ε) + 1/(1 − p + ε)) / t</c>,
    /// the derivative of <c>(1 − z) / (1 − p)</c> through p and through z at fixed u. <paramref name="dInput"/> may be
    /// <paramref name="dOutput"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="dOutput"/> (the exception names it).</exception>
    public static float Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> z, float logit)
        => Backward(Simd.Level, dInput, dOutput, input, z, logit);

    /// <summary><see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/> at a chosen vector level (for tests).</summary>
    internal static float Backward(SimdLevel level, Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> z, float logit)
    {
        bool writeInput = !dInput.IsEmpty;
        if (writeInput) KernelArguments.Length(dInput.Length, dOutput.Length, nameof(dInput));
        KernelArguments.Length(input.Length, dOutput.Length, nameof(input));
        KernelArguments.Length(z.Length, dOutput.Length, nameof(z));
        double p = Rate(logit);
        float scale = (float)(1 / (1 - p));
        float c = (float)(p * (1 - p) * (1 / (p + Epsilon) + 1 / (1 - p + Epsilon)) / Temperature);
        float pf = (float)p;
        int n = dOutput.Length;
        fixed (float* dx = dInput, dy = dOutput, x = input, m = z)
        {
            float sum = 0;
            int i = level switch
            {
                SimdLevel.Vector512 => BackwardVectors<Vector512<float>, Simd512>(writeInput ? dx : null, dy, x, m, n, scale, pf, c, out sum),
                SimdLevel.Vector256 => BackwardVectors<Vector256<float>, Simd256>(writeInput ? dx : null, dy, x, m, n, scale, pf, c, out sum),
                SimdLevel.Vector128 => BackwardVectors<Vector128<float>, Simd128>(writeInput ? dx : null, dy, x, m, n, scale, pf, c, out sum),
                _ => 0,
            };
            for (; i < n; i++)
            {
                float kept = (1f - m[i]) * scale; // (1 − z) / (1 − p)
                float g = dy[i];
                sum += g * x[i] * kept * (pf - m[i] * c);
                if (writeInput) dx[i] = g * kept;
            }
            return sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int BackwardVectors<TV, TS>(float* dx, float* dy, float* x, float* z, int n, float scale, float p, float c, out float sum)
        where TV : unmanaged where TS : ISimd<TV>
    {
        TV one = TS.Broadcast(1f), s = TS.Broadcast(scale), pv = TS.Broadcast(p), cv = TS.Broadcast(c);
        TV total = TS.Zero;
        int i = 0;
        for (; i <= n - TS.Width; i += TS.Width)
        {
            TV zv = TS.Load(z + i), g = TS.Load(dy + i);
            TV kept = TS.Multiply(TS.Subtract(one, zv), s);
            TV gk = TS.Multiply(g, kept);
            // p − z·c, then Σ g·kept·x·(p − z·c)
            total = TS.MultiplyAdd(TS.Multiply(gk, TS.Load(x + i)), TS.Subtract(pv, TS.Multiply(zv, cv)), total);
            if (dx != null) TS.Store(dx + i, gk);
        }
        sum = TS.Sum(total);
        return i;
    }

    /// <summary>
    /// The two regularizer terms of Gal's code for one layer, added once per batch to the mean loss:
    /// <c>weightRegularizer · Σ W² / (1 − p) + dropoutRegularizer · features · (p·log p + (1 − p)·log(1 − p))</c>, where
    /// <paramref name="weights"/> is the kernel of the layer the dropout feeds and <paramref name="features"/> the values per
    /// example the dropout reads.
    /// </summary>
    public static float Regularizer(float logit, ReadOnlySpan<float> weights, float weightRegularizer, float dropoutRegularizer, int features)
    {
        double p = Rate(logit);
        double squares = weightRegularizer == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.SumOfSquares(weights);
        return (float)(weightRegularizer * squares / (1 - p) + dropoutRegularizer * features * Entropy(p));
    }

    /// <summary>
    /// The regularizer's gradients: adds <c>2 · weightRegularizer · W / (1 − p)</c> to <paramref name="weightGradients"/>
    /// and returns its derivative with respect to the logit,
    /// <c>p(1 − p) · (weightRegularizer · Σ W² / (1 − p)² + dropoutRegularizer · features · (log p − log(1 − p)))</c>.
    /// </summary>
    public static float RegularizerBackward(Span<float> weightGradients, ReadOnlySpan<float> weights, float logit, float weightRegularizer, float dropoutRegularizer, int features)
    {
        KernelArguments.Length(weightGradients.Length, weights.Length, nameof(weightGradients));
        double p = Rate(logit);
        double squares = 0;
        if (weightRegularizer != 0)
        {
            squares = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(weights);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weights, (float)(2 * weightRegularizer / (1 - p)), weightGradients, weightGradients);
        }
        return (float)(p * (1 - p) * (weightRegularizer * squares / ((1 - p) * (1 - p)) + dropoutRegularizer * features * (Math.Log(p) - Math.Log(1 - p))));
    }

    /// <summary>p·log p + (1 − p)·log(1 − p), the negative entropy of a Bernoulli(p).</summary>
    private static double Entropy(double p) => p * Math.Log(p) + (1 - p) * Math.Log(1 - p);
}
