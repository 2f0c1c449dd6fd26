using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace CompiledNets.Tests.Optimizers;

/// <summary>
/// <see cref="AdamW"/> and <see cref="Sgd"/>'s weight decay against PyTorch's own <c>torch.optim.AdamW</c> and
/// <c>torch.optim.SGD</c>: the same float32 parameters and gradients, six steps, compared after every step. The fixture
/// comes from make_optimizer_fixtures.py beside this file (its docstring has the command).
/// </summary>
public class PyTorchOptimizerTests
{
    // Tolerance: |θ − θ_torch| ≤ 2e-6 · (|θ_torch| + |θ_torch − θ₀|). Both sides compute in float32 but round in another
    // order (PyTorch decays θ in its own rounded step, divides sqrt(v) by sqrt(1−β₂ᵗ) where we multiply by its inverse,
    // and does not fuse multiply-adds), a few float roundings (6e-8 each) per step, over six steps. Dropping the decay
    // moves θ by lr·λ·|θ| per step (1e-5 relative with the defaults, 5e-2 in the other case); coupling it into the
    // gradient as Adam's L2 (or decoupling it in SGD) changes the step by far more than 1e-4.
    private const double Tolerance = 2e-6;

    private static JsonElement Fixture(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Optimizers", "optimizer_fixtures.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("fixtures").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name).Clone();
    }

    private static float Setting(JsonElement fixture, string name) => fixture.GetProperty("settings").GetProperty(name).GetSingle();

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Theory]
    [InlineData("adamw-defaults")]
    [InlineData("adamw-other")]
    public void AdamW_matches_torch_optim_AdamW_step_by_step(string name)
    {
        JsonElement f = Fixture(name);
        var adamW = new AdamW(Setting(f, "learningRate"), Setting(f, "beta1"), Setting(f, "beta2"), Setting(f, "epsilon"), Setting(f, "weightDecay"));
        AssertMatches(f, adamW);
    }

    [Theory]
    [InlineData("sgd-decay")]
    [InlineData("sgd-momentum-decay")]
    public void Sgd_with_weight_decay_matches_torch_optim_SGD_step_by_step(string name)
    {
        JsonElement f = Fixture(name);
        AssertMatches(f, new Sgd(Setting(f, "learningRate"), Setting(f, "momentum"), Setting(f, "weightDecay")));
    }

    private static void AssertMatches(JsonElement fixture, IOptimizer optimizer)
    {
        float[] parameters = Floats(fixture.GetProperty("parameters")), initial = (float[])parameters.Clone();
        JsonElement[] gradients = fixture.GetProperty("gradients").EnumerateArray().ToArray();
        JsonElement[] after = fixture.GetProperty("after").EnumerateArray().ToArray();
        Assert.Equal(6, gradients.Length);
        for (int step = 0; step < gradients.Length; step++)
        {
            optimizer.Step(parameters, Floats(gradients[step]));
            float[] expected = Floats(after[step]);
            for (int i = 0; i < parameters.Length; i++)
            {
                double allowed = Tolerance * (Math.Abs(expected[i]) + Math.Abs((double)expected[i] - initial[i]));
                Assert.True(Math.Abs((double)parameters[i] - expected[i]) <= allowed,
                    $"step {step + 1}, parameter {i}: {parameters[i]:G9} vs PyTorch {expected[i]:G9}");
            }
        }
    }
}
