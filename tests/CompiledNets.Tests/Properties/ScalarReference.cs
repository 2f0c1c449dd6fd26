using System;
using System.Collections.Generic;
using System.Linq;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// A plain scalar forward pass in double precision, written from the declared layers and the documented Parameters
/// layout alone (per dense layer in order: weights [in, out] row-major, then bias [out]). Dropout is either the masks of a
/// training pass (read from the network, kept value 1 or 1/p) or, at inference, the factor p = 1 − rate for
/// <see cref="DropoutScaling.AtInference"/> and 1 for <see cref="DropoutScaling.Inverted"/>.
/// </summary>
/// <remarks>
/// Alongside each value it carries <c>Sigma</c>, a model of how far the float32 network can be from it: the standard
/// deviation of the accumulated rounding error when every float operation contributes an independent relative error of
/// at most u = 2⁻²⁴ (variance ≤ u² · value²), propagated to first order (the standard probabilistic rounding-error model of
/// Higham and Mary, 2019). A dense unit adds u² · (Σ products² + Σ running sums²), its inputs' variances weighted by w²;
/// tanh and sigmoid add 4 ulps of max(1, |result|) and scale incoming error by their derivative (TensorPrimitives' vector
/// implementations are accurate to a few ulps in absolute terms; near 0, tanh's error is ~u absolute, not relative);
/// ReLU passes incoming error unchanged (1-Lipschitz, so also across its kink); a dropout multiply adds one rounding.
/// Errors of different inputs are treated as independent; they are not quite (they share upstream roundings), which
/// is what the safety factor of the comparisons (10 σ) absorbs: over 2,000 random networks the worst observed error
/// was 2.9 σ.
/// </remarks>
internal static class ScalarReference
{
    /// <summary>Unit roundoff of float32.</summary>
    public const double U = 1.0 / (1 << 24);
    private const double ActivationUlps = 4;

    public sealed class Pass
    {
        public required double[] Outputs { get; init; }          // [batch, outputs]
        public required double[] Sigma { get; init; }            // [batch, outputs]
        public required List<double[]> ReLUPreActivations { get; init; } // per ReLU layer, [batch, units]
    }

    /// <param name="masks">Per dropout layer in declaration order, its mask [batch, width] (kept value or 0); null for inference.</param>
    public static Pass Forward(NetworkSpec spec, ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int batch, IReadOnlyList<float[]>? masks)
    {
        if (parameters.Length != spec.ParameterCount) throw new ArgumentException("Parameters of another network.", nameof(parameters));
        int width = spec.Inputs;
        var a = new double[batch * width];
        for (int i = 0; i < a.Length; i++) a[i] = inputs[i];
        var variance = new double[a.Length];
        var relu = new List<double[]>();
        int offset = 0, dropout = 0;

        foreach (LayerSpec layer in spec.Layers)
        {
            if (layer is DenseSpec dense)
            {
                int n = width, m = dense.Units;
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
                if (dense.Activation == Activation.ReLU) relu.Add((double[])z.Clone());
                for (int k = 0; k < z.Length; k++)
                {
                    (double y, double slope) = dense.Activation switch
                    {
                        Activation.None => (z[k], 1.0),
                        Activation.ReLU => (Math.Max(0, z[k]), 1.0),
                        Activation.Tanh => (Math.Tanh(z[k]), 1 - Math.Tanh(z[k]) * Math.Tanh(z[k])),
                        Activation.Sigmoid => (1 / (1 + Math.Exp(-z[k])), Math.Exp(-Math.Abs(z[k])) / Math.Pow(1 + Math.Exp(-Math.Abs(z[k])), 2)),
                        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
                    };
                    double own = dense.Activation is Activation.Tanh or Activation.Sigmoid ? ActivationUlps * U * Math.Max(1, Math.Abs(y)) : 0;
                    zVariance[k] = slope * slope * zVariance[k] + own * own;
                    z[k] = y;
                }
                a = z;
                variance = zVariance;
                width = m;
            }
            else
            {
                var d = (DropoutSpec)layer;
                float[]? mask = masks?[dropout];
                dropout++;
                for (int k = 0; k < a.Length; k++)
                {
                    double factor = mask is null ? (d.Inverted ? 1 : d.Keep) : mask[k];
                    a[k] *= factor;
                    // The multiply rounds once; at inference p itself is a float (one more rounding).
                    variance[k] = factor * factor * variance[k] + 2 * U * U * a[k] * a[k];
                }
            }
        }
        return new Pass { Outputs = a, Sigma = variance.Select(Math.Sqrt).ToArray(), ReLUPreActivations = relu };
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
