using System;
using System.Collections.Generic;
using System.Text.Json;
using CompiledNets.Kernels;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>--work</c>: the floating-point work of the matrix products of each benchmark, as JSON, for the per-level tables'
/// GFLOP/s and share of peak. Inference: <c>2 · nnz(A) · N</c> summed over the three products, nnz(A) being the
/// non-zero entries of each product's input (the terms the kernels cannot skip), averaged over the calls the benchmark
/// makes, with the same trained network; also the dense count <c>2 · M · N · K</c>. Train steps: the dense count only
/// (forward, weight gradients, and input gradients of every layer but the first), since the kernels' zero-skipping in
/// the backward pass depends on masks sampled during the step. LeNet (train step and inference): the dense count of its
/// convolutions and Dense layers.
/// </summary>
internal static class Work
{
    public static void Print()
    {
        var result = new Dictionary<string, object>();
        ReferenceNet net = Data.TrainedReference();
        foreach (InputKind kind in new[] { InputKind.Images, InputKind.Random })
        {
            float[] inputs = Data.InferenceInputs(kind);
            foreach (int batch in new[] { 1, 128 })
            {
                int examples = inputs.Length / ReferenceNet.InputSize / batch * batch;
                double nonZero = NonZeroInferenceFlops(net, inputs.AsSpan(0, examples * ReferenceNet.InputSize), examples);
                result[$"infer_{kind.ToString().ToLowerInvariant()}_{batch}"] = new Dictionary<string, double>
                {
                    ["nonzero_flops"] = nonZero / examples * batch,
                    ["dense_flops"] = DenseFlops(net, batch, training: false),
                };
            }
        }
        result["train_reference_128"] = new Dictionary<string, double> { ["dense_flops"] = DenseFlops(net, 128, training: true) };
        result["train_wide_128"] = new Dictionary<string, double> { ["dense_flops"] = DenseFlops(new WideNet(1), 128, training: true) };
        // LeNet: dense-equivalent counts only (the convolutions' work does not depend on zeros in their inputs).
        var leNet = new LeNet(1);
        result["train_lenet_128"] = new Dictionary<string, double> { ["dense_flops"] = DenseFlops(leNet, 128, training: true) };
        foreach (int batch in new[] { 1, 128 })
            result[$"infer_lenet_{batch}"] = new Dictionary<string, double> { ["dense_flops"] = DenseFlops(leNet, batch, training: false) };
        Console.WriteLine(JsonSerializer.Serialize(result));
    }

    /// <summary>2·M·N·K of every product of a step (training) or an inference (<see cref="NetworkLayers.DenseFlops"/>).</summary>
    private static double DenseFlops(ICompiledNetwork network, int batch, bool training) =>
        NetworkLayers.DenseFlops(NetworkLayers.Of(network).Layers, batch, training);

    /// <summary>Σ over the layers of 2 · (non-zero inputs) · outputs, over <paramref name="examples"/> examples.</summary>
    private static double NonZeroInferenceFlops(ReferenceNet net, ReadOnlySpan<float> inputs, int examples)
    {
        ReadOnlySpan<float> p = net.Parameters;
        ReadOnlySpan<float> w1 = p.Slice(0, 156800), b1 = p.Slice(156800, 200), w2 = p.Slice(157000, 20000), b2 = p.Slice(177000, 100);
        var h1 = new float[128 * 200];
        var d1 = new float[128 * 200];
        var h2 = new float[128 * 100];
        var d2 = new float[128 * 100];
        double flops = 0;
        for (int first = 0; first < examples; first += 128)
        {
            int m = Math.Min(128, examples - first);
            ReadOnlySpan<float> x = inputs.Slice(first * 784, m * 784);
            Dense.Forward(h1.AsSpan(0, m * 200), x, w1, b1, m, 784, 200, Activation.ReLU, d1.AsSpan(0, m * 200), 0.5f);
            Dense.Forward(h2.AsSpan(0, m * 100), d1.AsSpan(0, m * 200), w2, b2, m, 200, 100, Activation.ReLU, d2.AsSpan(0, m * 100), 0.5f);
            flops += 2.0 * (NonZero(x) * 200 + NonZero(d1.AsSpan(0, m * 200)) * 100 + NonZero(d2.AsSpan(0, m * 100)) * 10);
        }
        return flops;
    }

    private static long NonZero(ReadOnlySpan<float> values)
    {
        long count = 0;
        foreach (float v in values) if (v != 0) count++;
        return count;
    }
}
