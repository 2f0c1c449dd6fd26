using System;
using System.IO;

using static CompiledNets.Tests.Optimizers.OptimizerTestData;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// <see cref="AdamW"/> against the algorithm as PyTorch's documentation writes it, computed here in double (decay
/// θ ← θ − lr·λ·θ first, then the moments, m̂ and v̂, and θ ← θ − lr·m̂/(sqrt(v̂) + ε)); the implementation folds the
/// decay and both bias corrections into one pass. PyTorchOptimizerTests compares it with PyTorch itself.
/// </summary>
public class AdamWTests
{
    // AdamTests' tolerance, 1e-6 relative to the values summed, over five steps of a few float roundings each. Without the
    // decay θ is off by lr·λ·|θ| per step, 1e-4 relative here at the least; decaying after the Adam step instead of
    // before moves it by lr²·λ·|m̂/(sqrt(v̂)+ε)| ≈ lr²·λ, 5e-4 with lr = 0.1 and λ = 0.05.
    [Theory]
    [InlineData(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f)]
    [InlineData(0.1f, 0.5f, 0.75f, 1e-3f, 0.05f)]
    [InlineData(0.001f, 0.9f, 0.999f, 1e-8f, 2f)]
    public void Five_steps_match_the_double_precision_algorithm(float lr, float beta1, float beta2, float epsilon, float weightDecay)
    {
        var adamW = new AdamW(lr, beta1, beta2, epsilon, weightDecay);
        AdamTests.AssertMatchesAlgorithm1(adamW, () => adamW.StepCount, lr, beta1, beta2, epsilon, weightDecay, steps: 5, scale: 0.5);
    }

    [Fact]
    public void A_zero_gradient_only_decays_the_parameters()
    {
        // m = v = 0, so the Adam part is 0 / ε = 0 and θ is multiplied by (1 − lr·λ) = 0.75 each step (exact in float).
        var adamW = new AdamW(learningRate: 0.5f, weightDecay: 0.5f);
        float[] parameters = [1f, -2f, 0.5f];
        adamW.Step(parameters, new float[3]);
        Assert.Equal([0.75f, -1.5f, 0.375f], parameters);
        adamW.Step(parameters, new float[3]);
        Assert.Equal([0.5625f, -1.125f, 0.28125f], parameters);
    }

    [Fact]
    public void With_zero_weight_decay_it_takes_Adams_steps_bit_for_bit()
    {
        var adam = new Adam(0.01f, 0.8f, 0.99f, 1e-6f);
        var adamW = new AdamW(0.01f, 0.8f, 0.99f, 1e-6f, weightDecay: 0f);
        float[] a = Values(seed: 7, scale: 1), b = (float[])a.Clone();
        for (int t = 0; t < 4; t++)
        {
            float[] g = Gradients(seed: (ulong)(20 + t));
            adam.Step(a, g);
            adamW.Step(b, g);
        }
        Assert.Equal(a, b);
    }

    [Fact]
    public void State_written_and_read_back_continues_bit_identical()
    {
        var straight = new AdamW(0.01f, weightDecay: 0.1f);
        var first = new AdamW(0.01f, weightDecay: 0.1f);
        float[] a = Values(seed: 3, scale: 1), b = (float[])a.Clone();
        for (int t = 0; t < 3; t++)
        {
            straight.Step(a, Gradients(seed: (ulong)(30 + t)));
            first.Step(b, Gradients(seed: (ulong)(30 + t)));
        }
        using var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true)) first.WriteState(writer);
        state.Position = 0;
        var resumed = new AdamW(0.01f, weightDecay: 0.1f);
        using (var reader = new BinaryReader(state)) resumed.ReadState(reader, Length);
        Assert.Equal(3, resumed.StepCount);
        for (int t = 3; t < 6; t++)
        {
            straight.Step(a, Gradients(seed: (ulong)(30 + t)));
            resumed.Step(b, Gradients(seed: (ulong)(30 + t)));
        }
        Assert.Equal(a, b);
    }

    [Fact]
    public void The_description_names_every_setting()
    {
        Assert.Equal("AdamW(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1E-08, weightDecay: 0.01)", new AdamW().Description);
        Assert.NotEqual(new AdamW(weightDecay: 0.02f).Description, new AdamW().Description);
        Assert.NotEqual(new Adam().Description, new AdamW(weightDecay: 0f).Description);
    }
}
