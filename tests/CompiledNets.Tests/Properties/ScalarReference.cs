using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// A plain scalar forward pass in double precision, written from the declared layers and the documented Parameters
/// layout alone (per layer with parameters, in order: Dense weights [in, out] row-major then bias [out]; Conv2D weights
/// [filters, inChannels, k, k] then bias [filters]), the shape formulas of DESIGN.md ("Image layers": TensorFlow Same
/// padding with the odd row or column at the bottom or right, pooling without padding, ties to the first maximum in
/// row-major window order) and a Dense after an image reading it flattened as [C, H, W]. Dropout is either the masks of
/// a training pass (read from the network, kept value 1 or 1/p; [batch, width] per element, [batch, channels] for
/// SpatialDropout, where a channel's value multiplies all its pixels) or, at inference, the factor p = 1 − rate for
/// <see cref="DropoutScaling.AtInference"/> and 1 for <see cref="DropoutScaling.Inverted"/>.
/// </summary>
/// <remarks>
/// Alongside each value it carries <c>Sigma</c>, a model of how far the float32 network can be from it: the standard
/// deviation of the accumulated rounding error when every float operation contributes an independent relative error of
/// at most u = 2⁻²⁴ (variance ≤ u² · value²), propagated to first order (the standard probabilistic rounding-error model of
/// Higham and Mary, 2019). A dense unit adds u² · (Σ products² + Σ running sums²), its inputs' variances weighted by w²;
/// a convolution output is the same sum over its window (bias first, then channel, row, column; taps on Same padding
/// are exact zeros and add nothing); tanh and sigmoid add 4 ulps of max(1, |result|) and scale incoming error by their
/// derivative (TensorPrimitives' vector implementations are accurate to a few ulps in absolute terms; near 0, tanh's
/// error is ~u absolute, not relative); SELU adds one rounding above 0 and 8 ulps of max(1, |result|) below it, and
/// scales incoming error by its derivative; ReLU passes incoming error unchanged (1-Lipschitz, so also across its kink); a
/// dropout multiply (per element or per channel) adds one rounding. Max pooling rounds nothing, and max is 1-Lipschitz:
/// the float maximum is within the largest error of the window's candidates (the values within the comparison
/// tolerance of the maximum, which could win in float), so its σ is the largest σ among those; when a candidate other
/// than the reference's winner is among them the window is <i>ambiguous</i> (the float network may route its gradient
/// to another input), counted in <see cref="Pass.AmbiguousWindows"/>: the forward comparison stays valid as it is, and
/// the gradient check treats it as a kink (see ValidNetworkCheck.CheckGradients).
/// Errors of different inputs are treated as independent; they are not quite (they share upstream roundings), which
/// is what the safety factor of the comparisons (10 σ) absorbs: over 2,000 random networks the worst observed error
/// was 2.9 σ.
/// </remarks>
internal static class ScalarReference
{
    /// <summary>Unit roundoff of float32.</summary>
    public const double U = 1.0 / (1 << 24);
    private const double ActivationUlps = 4;

    /// <summary>SELU's λ and λα exactly as the network has them (floats), in double: a difference in the constants would be an error common to every unit, which the model of independent roundings does not cover.</summary>
    private const double SeluLambda = CompiledNets.Kernels.Activations.SeluLambda, SeluLambdaAlpha = CompiledNets.Kernels.Activations.SeluLambdaAlpha;

    /// <summary>Whether an activation has a kink at 0 (its derivative jumps there): ReLU (0 to 1) and SELU (λα to λ).</summary>
    public static bool HasKinkAtZero(Activation activation) => activation is Activation.ReLU or Activation.SELU;

    /// <summary>The pre-activations of one layer whose activation has a kink at 0 (Dense or Conv2D): [batch, units] or [batch, filters, H, W].</summary>
    public sealed record KinkLayer(int Layer, double[] Z);

    public sealed class Pass
    {
        public required double[] Outputs { get; init; }          // [batch, outputs]
        public required double[] Sigma { get; init; }            // [batch, outputs]
        public required List<KinkLayer> KinkPreActivations { get; init; } // per ReLU or SELU layer, in declaration order
        public required List<int[]> PoolWinners { get; init; }  // per MaxPool2D, [batch, C, outH, outW]: index into the example's input
        public required int AmbiguousWindows { get; init; }      // pooling windows whose winner is within rounding of another value
    }

    /// <param name="masks">Per dropout-family layer in declaration order, its mask ([batch, width] or [batch, channels]: kept value or 0); null for inference.</param>
    public static Pass Forward(NetworkSpec spec, ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int batch, IReadOnlyList<float[]>? masks)
    {
        if (parameters.Length != spec.ParameterCount) throw new ArgumentException("Parameters of another network.", nameof(parameters));
        ImmutableArray<ExampleShape> shapes = spec.Shapes;
        var a = new double[batch * spec.InputSize];
        for (int i = 0; i < a.Length; i++) a[i] = inputs[i];
        var variance = new double[a.Length];
        var relu = new List<KinkLayer>();
        var winners = new List<int[]>();
        int offset = 0, dropout = 0, ambiguous = 0;

        for (int l = 0; l < spec.Layers.Length; l++)
        {
            ExampleShape input = shapes[l], output = shapes[l + 1];
            LayerSpec layer = spec.Layers[l];
            switch (layer)
            {
                case DenseSpec dense:
                {
                    int n = (int)input.Size, m = dense.Units;
                    ReadOnlySpan<float> w = parameters.Slice(offset, n * m), bias = parameters.Slice(offset + n * m, m);
                    offset += n * m + m;
                    var z = new double[batch * m];
                    var zVariance = new double[batch * m];
                    for (int b = 0; b < batch; b++)
                    {
                        for (int j = 0; j < m; j++)
                        {
                            double sum = bias[j], rounding = 0, propagated = 0;
                            for (int i = 0; i < n; i++)
                            {
                                double x = a[b * n + i], product = x * w[i * m + j];
                                sum += product;
                                rounding += product * product + sum * sum;
                                propagated += (double)w[i * m + j] * w[i * m + j] * variance[b * n + i];
                            }
                            z[b * m + j] = sum;
                            zVariance[b * m + j] = propagated + U * U * rounding;
                        }
                    }
                    if (HasKinkAtZero(dense.Activation)) relu.Add(new KinkLayer(l, (double[])z.Clone()));
                    Activate(dense.Activation, z, zVariance);
                    (a, variance) = (z, zVariance);
                    break;
                }
                case Conv2DSpec conv:
                {
                    int channels = input.Channels, height = input.Height, width = input.Width;
                    int filters = output.Channels, outHeight = output.Height, outWidth = output.Width, k = conv.KernelSize, stride = conv.Stride;
                    int top = conv.PaddingBefore(height), left = conv.PaddingBefore(width);
                    int inSize = (int)input.Size, outSize = (int)output.Size, window = channels * k * k;
                    ReadOnlySpan<float> w = parameters.Slice(offset, filters * window), bias = parameters.Slice(offset + filters * window, filters);
                    offset += filters * window + filters;
                    var z = new double[batch * outSize];
                    var zVariance = new double[batch * outSize];
                    for (int b = 0; b < batch; b++)
                    for (int f = 0; f < filters; f++)
                    for (int oy = 0; oy < outHeight; oy++)
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        double sum = bias[f], rounding = 0, propagated = 0;
                        for (int c = 0; c < channels; c++)
                        for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                        {
                            int y = oy * stride - top + ky, x = ox * stride - left + kx;
                            if (y < 0 || y >= height || x < 0 || x >= width) continue; // a zero of the padding: exact
                            int at = b * inSize + (c * height + y) * width + x;
                            double weight = w[f * window + (c * k + ky) * k + kx], product = a[at] * weight;
                            sum += product;
                            rounding += product * product + sum * sum;
                            propagated += weight * weight * variance[at];
                        }
                        int o = b * outSize + (f * outHeight + oy) * outWidth + ox;
                        z[o] = sum;
                        zVariance[o] = propagated + U * U * rounding;
                    }
                    if (HasKinkAtZero(conv.Activation)) relu.Add(new KinkLayer(l, (double[])z.Clone()));
                    Activate(conv.Activation, z, zVariance);
                    (a, variance) = (z, zVariance);
                    break;
                }
                case MaxPool2DSpec pool:
                {
                    int channels = input.Channels, height = input.Height, width = input.Width, size = pool.Size, stride = pool.EffectiveStride;
                    int inSize = (int)input.Size, outSize = (int)output.Size;
                    var z = new double[batch * outSize];
                    var zVariance = new double[batch * outSize];
                    var won = new int[batch * outSize];
                    for (int b = 0; b < batch; b++)
                    for (int c = 0; c < channels; c++)
                    for (int oy = 0; oy < output.Height; oy++)
                    for (int ox = 0; ox < output.Width; ox++)
                    {
                        int best = -1;
                        for (int ky = 0; ky < size; ky++)
                        for (int kx = 0; kx < size; kx++)
                        {
                            int at = (c * height + oy * stride + ky) * width + ox * stride + kx;
                            if (best < 0 || a[b * inSize + at] > a[b * inSize + best]) best = at; // strictly greater: ties to the first
                        }
                        double max = a[b * inSize + best], sigmaMax = Math.Sqrt(variance[b * inSize + best]), sigma = sigmaMax;
                        bool tie = false;
                        for (int ky = 0; ky < size; ky++)
                        for (int kx = 0; kx < size; kx++)
                        {
                            int at = (c * height + oy * stride + ky) * width + ox * stride + kx;
                            double s = Math.Sqrt(variance[b * inSize + at]);
                            if (at == best || max - a[b * inSize + at] > ValidNetworkCheck.Sigmas * (s + sigmaMax)) continue;
                            sigma = Math.Max(sigma, s); // a candidate: it could be the float maximum
                            // An exact tie in double is harmless: ReLU zeros (slope 0 whichever wins) or one value twice (an
                            // input that won two overlapping windows of a pooling before: the same gradient path).
                            if (a[b * inSize + at] != max) tie = true;
                        }
                        int o = b * outSize + (c * output.Height + oy) * output.Width + ox;
                        z[o] = max;
                        zVariance[o] = sigma * sigma;
                        won[o] = best;
                        if (tie) ambiguous++;
                    }
                    winners.Add(won);
                    (a, variance) = (z, zVariance);
                    break;
                }
                case DropoutFamilySpec d:
                {
                    float[]? mask = masks?[dropout];
                    dropout++;
                    int maskWidth = d.MaskWidth(input), size = (int)input.Size, perMaskValue = size / maskWidth;
                    for (int k = 0; k < a.Length; k++)
                    {
                        // Per element: one mask value each; spatial: one per channel, the channel's pixels consecutive.
                        double factor = mask is null ? (d.Inverted ? 1 : d.Keep) : mask[k / size * maskWidth + k % size / perMaskValue];
                        a[k] *= factor;
                        // The multiply rounds once; at inference p itself is a float (one more rounding).
                        variance[k] = factor * factor * variance[k] + 2 * U * U * a[k] * a[k];
                    }
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(spec), layer, "Unknown layer kind.");
            }
        }
        return new Pass
        {
            Outputs = a, Sigma = variance.Select(Math.Sqrt).ToArray(), KinkPreActivations = relu, PoolWinners = winners, AmbiguousWindows = ambiguous,
        };
    }

    /// <summary>Applies the activation in place to <paramref name="z"/> and propagates <paramref name="zVariance"/> through it.</summary>
    private static void Activate(Activation activation, double[] z, double[] zVariance)
    {
        for (int k = 0; k < z.Length; k++)
        {
            (double y, double slope) = activation switch
            {
                Activation.None => (z[k], 1.0),
                Activation.ReLU => (Math.Max(0, z[k]), 1.0),
                Activation.Tanh => (Math.Tanh(z[k]), 1 - Math.Tanh(z[k]) * Math.Tanh(z[k])),
                Activation.Sigmoid => (1 / (1 + Math.Exp(-z[k])), Math.Exp(-Math.Abs(z[k])) / Math.Pow(1 + Math.Exp(-Math.Abs(z[k])), 2)),
                Activation.SELU => z[k] > 0
                    ? (SeluLambda * z[k], SeluLambda)
                    : (SeluLambdaAlpha * (Math.Exp(z[k]) - 1), SeluLambdaAlpha * Math.Exp(z[k])),
                _ => throw new ArgumentOutOfRangeException(nameof(activation)),
            };
            double own = activation switch
            {
                Activation.Tanh or Activation.Sigmoid => ActivationUlps * U * Math.Max(1, Math.Abs(y)),
                // λ·z rounds once; λα·(eᶻ − 1) is an exp, a subtraction and a multiply by the float λα, each a few ulps of at
                // most λα in absolute terms, so twice the tanh allowance.
                Activation.SELU => z[k] > 0 ? U * Math.Abs(y) : 2 * ActivationUlps * U * Math.Max(1, Math.Abs(y)),
                _ => 0,
            };
            zVariance[k] = slope * slope * zVariance[k] + own * own;
            z[k] = y;
        }
    }

    /// <summary>
    /// The loss of a pass (mean softmax cross-entropy over the batch, or mean squared error over every output) and the
    /// model standard deviation of the float loss: the outputs' Sigma weighted by ∂L/∂output, plus the final rounding to float.
    /// </summary>
    public static (double Loss, double Sigma) Loss(NetworkSpec spec, Pass pass, int batch, int[]? labels, float[]? targets)
    {
        int outputs = spec.Outputs;
        double loss = 0, variance = 0;
        if (spec.Loss == LossFunction.SoftmaxCrossEntropy)
        {
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<double> row = pass.Outputs.AsSpan(b * outputs, outputs);
                double max = double.NegativeInfinity;
                foreach (double v in row) max = Math.Max(max, v);
                double sum = 0;
                foreach (double v in row) sum += Math.Exp(v - max);
                loss += max + Math.Log(sum) - row[labels![b]];
                double shifts = 0; // the float network rounds each logit − max once before exp
                for (int k = 0; k < outputs; k++)
                {
                    double probability = Math.Exp(row[k] - max) / sum;
                    double slope = (probability - (k == labels[b] ? 1 : 0)) / batch;
                    variance += slope * slope * pass.Sigma[b * outputs + k] * pass.Sigma[b * outputs + k];
                    shifts += probability * U * Math.Abs(row[k] - max) / batch;
                }
                variance += shifts * shifts;
            }
            loss /= batch;
        }
        else
        {
            int count = batch * outputs;
            for (int k = 0; k < count; k++)
            {
                double e = pass.Outputs[k] - targets![k];
                loss += e * e;
                double slope = 2 * e / count;
                variance += slope * slope * pass.Sigma[k] * pass.Sigma[k];
            }
            loss /= count;
        }
        return (loss, Math.Sqrt(variance + U * U * loss * loss));
    }
}
