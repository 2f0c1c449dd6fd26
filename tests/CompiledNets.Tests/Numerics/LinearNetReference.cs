using System;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// A scalar, double-precision evaluation of the linear nets (4 → Dropout → Dense(3) → Dropout → Dense(2)) from their
/// flat Parameters alone: per dense layer, weights [in, out] row-major, then bias [out]. Each dropout is replaced
/// by a constant factor: its expectation, p for the at-inference rule (train unscaled) and 1 for the inverted rule.
/// </summary>
internal static class LinearNetReference
{
    public const int Inputs = 4, Hidden = 3, Outputs = 2;
    public const int ParameterCount = Inputs * Hidden + Hidden + Hidden * Outputs + Outputs;

    public static double[] Evaluate(ReadOnlySpan<float> parameters, ReadOnlySpan<float> x, double inputScale, double hiddenScale)
    {
        if (parameters.Length != ParameterCount) throw new ArgumentException("Not a linear net's parameters.", nameof(parameters));
        ReadOnlySpan<float> w1 = parameters.Slice(0, Inputs * Hidden), b1 = parameters.Slice(Inputs * Hidden, Hidden);
        int second = Inputs * Hidden + Hidden;
        ReadOnlySpan<float> w2 = parameters.Slice(second, Hidden * Outputs), b2 = parameters.Slice(second + Hidden * Outputs, Outputs);

        var hidden = new double[Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            double sum = b1[j];
            for (int i = 0; i < Inputs; i++) sum += inputScale * x[i] * w1[i * Hidden + j];
            hidden[j] = hiddenScale * sum;
        }
        var outputs = new double[Outputs];
        for (int k = 0; k < Outputs; k++)
        {
            double sum = b2[k];
            for (int j = 0; j < Hidden; j++) sum += hidden[j] * w2[j * Outputs + k];
            outputs[k] = sum;
        }
        return outputs;
    }
}
