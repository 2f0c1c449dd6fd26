using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>-- --lenet-vs-onnx [rounds]</c>: the trained LeNet's <c>Predict</c> and ONNX Runtime (<see cref="OnnxPeer"/>, as in
/// <see cref="LeNetOnnxInferenceBenchmarks"/>) on the same Fashion-MNIST images, interleaved round by round in one process
/// (each round: a block of calls of ours, then of theirs, at batch 1 and 128), so that a changing load on a shared machine
/// falls on both; prints the median over the rounds of each one's mean time per call and of the per-round ratio. A
/// development aid beside the BenchmarkDotNet figures, not a replacement for them.
/// </summary>
internal static class LeNetVersusOnnx
{
    public static void Run(int rounds)
    {
        LeNet net = Data.TrainedLeNet();
        float[] images = Data.InferenceInputs(InputKind.Images);
        foreach (int batch in new[] { 1, 128 })
        {
            using var peer = new OnnxPeer(OnnxModel.Build(net), batch, LeNet.InputSize, LeNet.OutputSize);
            OnnxCheck.Verify(net, peer, images, batch);
            var probabilities = new float[batch * LeNet.OutputSize];
            int n = batch * LeNet.InputSize, count = images.Length / n, calls = batch == 1 ? 4000 : 60;
            int next = 0;
            double[] ours = new double[rounds], theirs = new double[rounds];
            for (int round = -2; round < rounds; round++) // two rounds of warm-up
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++)
                    net.Predict(images.AsSpan((next + i) % count * n, n), probabilities, batch);
                long middle = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++)
                {
                    images.AsSpan((next + i) % count * n, n).CopyTo(peer.Input);
                    peer.Run();
                }
                long end = Stopwatch.GetTimestamp();
                next += calls;
                if (round < 0) continue;
                ours[round] = (middle - start) * 1e6 / Stopwatch.Frequency / calls;
                theirs[round] = (end - middle) * 1e6 / Stopwatch.Frequency / calls;
            }
            double[] ratios = theirs.Zip(ours, (t, o) => t / o).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch {batch,3}: ours {Median(ours),8:F1} µs, ONNX Runtime {Median(theirs),8:F1} µs, ratio (median of {rounds} rounds) {Median(ratios):F3}x, " +
                $"ratio range {ratios.Min():F3}-{ratios.Max():F3}"));
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
