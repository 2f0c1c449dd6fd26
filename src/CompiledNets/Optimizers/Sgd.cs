using System.IO;
using System.Globalization;
using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets;

/// <summary>
/// Stochastic gradient descent with optional momentum and weight decay, in PyTorch's form (<c>torch.optim.SGD</c> with
/// <c>dampening = 0</c>, <c>nesterov = False</c>): <c>d = g + λθ</c> (coupled L2 weight decay), <c>v = μv + d</c>,
/// <c>θ −= lr · v</c> (plain <c>θ −= lr · d</c> when <c>μ = 0</c>).
/// </summary>
/// <remarks>
/// An instance holds the velocity of one parameter vector: use one optimizer per network. The velocity is allocated on
/// the first step (with momentum only), so later steps allocate nothing. Weight decay here is L2 regularization added to
/// the gradient, so it passes through the momentum; for decay decoupled from the gradient see <see cref="AdamW"/>.
/// </remarks>
public sealed class Sgd : IStatefulOptimizer
{
    private readonly float _learningRate, _momentum, _weightDecay;
    private float[]? _velocity;

    /// <summary>Creates an SGD optimizer.</summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="momentum">Momentum μ in [0, 1); 0 disables it.</param>
    /// <param name="weightDecay">L2 weight decay λ, added to the gradient as <c>λθ</c> before the momentum (PyTorch's
    /// <c>weight_decay</c>); zero or positive, finite; 0 disables it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range; the exception names it.</exception>
    public Sgd(float learningRate, float momentum = 0f, float weightDecay = 0f)
    {
        OptimizerChecks.Positive(learningRate, nameof(learningRate));
        OptimizerChecks.UnitInterval(momentum, nameof(momentum));
        OptimizerChecks.NonNegative(weightDecay, nameof(weightDecay));
        (_learningRate, _momentum, _weightDecay) = (learningRate, momentum, weightDecay);
    }

    /// <summary>
    /// Creates an SGD optimizer without weight decay: the same as <c>Sgd(learningRate, momentum, weightDecay: 0)</c>.
    /// Kept so that code compiled against the two-parameter constructor of earlier versions still binds; a call with two
    /// arguments resolves here, with one or three to the other constructor, so no call is ambiguous.
    /// </summary>
    /// <param name="learningRate">Step size; positive and finite.</param>
    /// <param name="momentum">Momentum μ in [0, 1); 0 disables it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range; the exception names it.</exception>
    public Sgd(float learningRate, float momentum) : this(learningRate, momentum, 0f)
    {
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <c>Sgd(learningRate: …, momentum: …)</c>, with <c>, weightDecay: …</c> after them when the decay is not zero, so a
    /// checkpoint written before weight decay existed still restores into an optimizer without it.
    /// </remarks>
    public string Description => _weightDecay == 0f
        ? string.Create(CultureInfo.InvariantCulture, $"Sgd(learningRate: {_learningRate:R}, momentum: {_momentum:R})")
        : string.Create(CultureInfo.InvariantCulture, $"Sgd(learningRate: {_learningRate:R}, momentum: {_momentum:R}, weightDecay: {_weightDecay:R})");

    /// <inheritdoc/>
    public void WriteState(BinaryWriter writer) => OptimizerStateIO.WriteVector(writer, _velocity);

    /// <inheritdoc/>
    public void ReadState(BinaryReader reader, int parameterCount) => _velocity = OptimizerStateIO.ReadVector(reader, parameterCount);

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        OptimizerChecks.SameLength(parameters, gradients);
        if (_momentum != 0f)
        {
            _velocity ??= new float[parameters.Length];
            OptimizerChecks.StateLength(_velocity.Length, parameters.Length);
        }
        if (_weightDecay != 0f)
        {
            DecayStep(parameters, gradients, _velocity);
            return;
        }
        if (_momentum == 0f)
        {
            TensorPrimitives.MultiplyAdd(gradients, -_learningRate, parameters, parameters);
            return;
        }
        TensorPrimitives.MultiplyAdd(_velocity, _momentum, gradients, _velocity);
        TensorPrimitives.MultiplyAdd(_velocity, -_learningRate, parameters, parameters);
    }

    /// <summary>
    /// The step with weight decay in one pass over the arrays, a vector at a time with fused multiply-adds:
    /// <c>d = λθ + g</c>, then <c>v = μv + d</c> and <c>θ = −lr · v + θ</c>, or <c>θ = −lr · d + θ</c> without momentum.
    /// The last few parameters go through one masked vector, so each parameter gets the same arithmetic wherever it falls.
    /// </summary>
    private unsafe void DecayStep(Span<float> parameters, ReadOnlySpan<float> gradients, float[]? velocity)
    {
        var k = new DecayConstants { Rate = -_learningRate, Momentum = _momentum, Decay = _weightDecay };
        fixed (float* p = parameters, g = gradients, v = velocity)
        {
            int n = parameters.Length;
            switch (Kernels.Simd.Level)
            {
                case Kernels.SimdLevel.Vector512: DecayStep<Vector512<float>, Kernels.Simd512>(p, g, v, n, k); break;
                case Kernels.SimdLevel.Vector256: DecayStep<Vector256<float>, Kernels.Simd256>(p, g, v, n, k); break;
                case Kernels.SimdLevel.Vector128: DecayStep<Vector128<float>, Kernels.Simd128>(p, g, v, n, k); break;
                default:
                    for (int i = 0; i < n; i++)
                    {
                        float d = MathF.FusedMultiplyAdd(p[i], k.Decay, g[i]);
                        if (v != null) d = v[i] = MathF.FusedMultiplyAdd(v[i], k.Momentum, d);
                        p[i] = MathF.FusedMultiplyAdd(k.Rate, d, p[i]);
                    }
                    break;
            }
        }
    }

    private struct DecayConstants
    {
        public float Rate, Momentum, Decay; // Rate is −lr
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DecayStep<TV, TS>(float* p, float* g, float* v, int n, DecayConstants k)
        where TV : unmanaged where TS : Kernels.ISimd<TV>
    {
        TV rate = TS.Broadcast(k.Rate), momentum = TS.Broadcast(k.Momentum), decay = TS.Broadcast(k.Decay);
        int w = TS.Width, i = 0;
        if (v == null)
        {
            for (; i <= n - w; i += w)
            {
                TV pv = TS.Load(p + i);
                TS.Store(p + i, TS.MultiplyAdd(rate, TS.MultiplyAdd(pv, decay, TS.Load(g + i)), pv));
            }
            if (i < n)
            {
                TV mask = TS.FirstLanes(n - i);
                TV pv = TS.LoadMasked(p + i, mask);
                TS.StoreMasked(p + i, TS.MultiplyAdd(rate, TS.MultiplyAdd(pv, decay, TS.LoadMasked(g + i, mask)), pv), mask);
            }
            return;
        }
        for (; i <= n - w; i += w)
        {
            TV pv = TS.Load(p + i);
            TV vv = TS.MultiplyAdd(TS.Load(v + i), momentum, TS.MultiplyAdd(pv, decay, TS.Load(g + i)));
            TS.Store(v + i, vv);
            TS.Store(p + i, TS.MultiplyAdd(rate, vv, pv));
        }
        if (i < n)
        {
            TV mask = TS.FirstLanes(n - i);
            TV pv = TS.LoadMasked(p + i, mask);
            TV vv = TS.MultiplyAdd(TS.LoadMasked(v + i, mask), momentum, TS.MultiplyAdd(pv, decay, TS.LoadMasked(g + i, mask)));
            TS.StoreMasked(v + i, vv, mask);
            TS.StoreMasked(p + i, TS.MultiplyAdd(rate, vv, pv), mask);
        }
    }
}
