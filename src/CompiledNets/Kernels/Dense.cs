using System;
using System.Numerics.Tensors;

namespace CompiledNets.Kernels;

/// <summary>
/// The three matrix products of a fully connected layer, over flat row-major spans. Shapes: input
/// [batch, inputs], weights [inputs, outputs], bias [outputs], output [batch, outputs].
/// </summary>
public static class Dense
{
    /// <summary><c>output = input · weights + bias</c>.</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int batch, int inputs, int outputs)
    {
        for (int b = 0; b < batch; b++)
        {
            Span<float> outRow = output.Slice(b * outputs, outputs);
            ReadOnlySpan<float> inRow = input.Slice(b * inputs, inputs);
            bias.CopyTo(outRow);
            for (int i = 0; i < inputs; i++)
            {
                float x = inRow[i];
                if (x != 0f) // ReLU outputs, dropped units and image background are often exactly zero
                    TensorPrimitives.MultiplyAdd(weights.Slice(i * outputs, outputs), x, outRow, outRow);
            }
        }
    }

    /// <summary><c>dInput = dOutput · weightsᵀ</c> (the gradient passed to the layer before).</summary>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, int inputs, int outputs)
    {
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> dOutRow = dOutput.Slice(b * outputs, outputs);
            Span<float> dInRow = dInput.Slice(b * inputs, inputs);
            for (int i = 0; i < inputs; i++)
                dInRow[i] = TensorPrimitives.Dot(dOutRow, weights.Slice(i * outputs, outputs));
        }
    }

    /// <summary>
    /// <c>dWeights = inputᵀ · dOutput</c> and <c>dBias = Σ_batch dOutput</c>, overwriting both.
    /// </summary>
    public static void BackwardParameters(Span<float> dWeights, Span<float> dBias, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, int batch, int inputs, int outputs)
    {
        dWeights.Slice(0, inputs * outputs).Clear();
        for (int i = 0; i < inputs; i++)
        {
            Span<float> dWRow = dWeights.Slice(i * outputs, outputs);
            for (int b = 0; b < batch; b++)
            {
                float x = input[b * inputs + i];
                if (x != 0f)
                    TensorPrimitives.MultiplyAdd(dOutput.Slice(b * outputs, outputs), x, dWRow, dWRow);
            }
        }

        dOutput.Slice(0, outputs).CopyTo(dBias);
        for (int b = 1; b < batch; b++)
            TensorPrimitives.Add(dBias, dOutput.Slice(b * outputs, outputs), dBias);
    }
}
