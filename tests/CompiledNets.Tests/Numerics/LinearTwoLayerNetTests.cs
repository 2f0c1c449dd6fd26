using System;
using CompiledNets.Tests.Networks;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// <see cref="LinearTwoLayerNet"/> at whatever vector level the process runs (the CI runs this suite again at each lower
/// level): a train step completes and its gradient is the closed form of a linear network, computed in double.
/// </summary>
public class LinearTwoLayerNetTests
{
    [Fact]
    public void Backward_equals_the_closed_form_gradient()
    {
        const int batch = 5;
        var net = new LinearTwoLayerNet(maxBatchSize: batch, seed: 3);
        float[] x = TestData.Gaussian(batch * 2, seed: 4);
        int[] labels = [0, 1, 1, 0, 1];
        float[] theta = net.Parameters.ToArray();
        net.Forward(x, batch, training: true);
        net.Backward(labels);
        float[] analytic = net.Gradients.ToArray();

        // Layout: W1 [2, 16], b1 [16], W2 [16, 2], b2 [2]. h = x·W1 + b1, z = h·W2 + b2, dz = (softmax(z) − onehot) / batch.
        const int w1 = 0, b1 = 32, w2 = 48, b2 = 80;
        var expected = new double[LinearTwoLayerNet.ParameterCount];
        for (int n = 0; n < batch; n++)
        {
            var h = new double[16];
            for (int j = 0; j < 16; j++)
                h[j] = theta[b1 + j] + x[2 * n] * theta[w1 + j] + x[2 * n + 1] * theta[w1 + 16 + j];
            var z = new double[2];
            for (int k = 0; k < 2; k++)
            {
                z[k] = theta[b2 + k];
                for (int j = 0; j < 16; j++) z[k] += h[j] * theta[w2 + 2 * j + k];
            }
            double max = Math.Max(z[0], z[1]), e0 = Math.Exp(z[0] - max), e1 = Math.Exp(z[1] - max);
            double[] dz = [(e0 / (e0 + e1) - (labels[n] == 0 ? 1 : 0)) / batch, (e1 / (e0 + e1) - (labels[n] == 1 ? 1 : 0)) / batch];
            for (int k = 0; k < 2; k++)
            {
                expected[b2 + k] += dz[k];
                for (int j = 0; j < 16; j++) expected[w2 + 2 * j + k] += h[j] * dz[k];
            }
            for (int j = 0; j < 16; j++)
            {
                double dh = dz[0] * theta[w2 + 2 * j] + dz[1] * theta[w2 + 2 * j + 1];
                expected[b1 + j] += dh;
                expected[w1 + j] += x[2 * n] * dh;
                expected[w1 + 16 + j] += x[2 * n + 1] * dh;
            }
        }
        // Float sums of at most 16 terms of size ~1: a few ulps; 1e-5 absolute is far below any missing or doubled term.
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(analytic[i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]),
                $"gradient {i}: {analytic[i]} vs {expected[i]}");
    }

    [Fact]
    public void Train_steps_lower_the_loss()
    {
        var net = new LinearTwoLayerNet(maxBatchSize: 8, seed: 1);
        float[] x = TestData.Gaussian(8 * 2, seed: 2);
        int[] labels = new int[8];
        for (int n = 0; n < 8; n++) labels[n] = x[2 * n] > x[2 * n + 1] ? 1 : 0;
        var adam = new Adam(0.05f);
        float first = net.TrainStep(x, labels, adam);
        float last = first;
        for (int step = 0; step < 50; step++) last = net.TrainStep(x, labels, adam);
        Assert.True(last < first * 0.5f, $"loss {first} -> {last}");
    }
}
