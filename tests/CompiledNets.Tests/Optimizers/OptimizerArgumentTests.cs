using System;

namespace CompiledNets.Tests.Optimizers;

/// <summary>Bad optimizer settings fail at construction, naming the argument; mismatched spans fail without a change.</summary>
public class OptimizerArgumentTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(-0.001f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Adam_and_AdamW_reject_a_learning_rate_that_is_not_positive_and_finite(float learningRate)
    {
        AssertOutOfRange("learningRate", () => new Adam(learningRate: learningRate));
        AssertOutOfRange("learningRate", () => new AdamW(learningRate: learningRate));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void Adam_and_AdamW_reject_betas_outside_zero_to_one(float beta)
    {
        AssertOutOfRange("beta1", () => new Adam(beta1: beta));
        AssertOutOfRange("beta2", () => new Adam(beta2: beta));
        AssertOutOfRange("beta1", () => new AdamW(beta1: beta));
        AssertOutOfRange("beta2", () => new AdamW(beta2: beta));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1e-8f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Adam_and_AdamW_reject_an_epsilon_that_is_not_positive_and_finite(float epsilon)
    {
        AssertOutOfRange("epsilon", () => new Adam(epsilon: epsilon));
        AssertOutOfRange("epsilon", () => new AdamW(epsilon: epsilon));
    }

    [Theory]
    [InlineData(-1e-4f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void AdamW_rejects_a_weight_decay_that_is_negative_or_not_finite(float weightDecay)
        => AssertOutOfRange("weightDecay", () => new AdamW(weightDecay: weightDecay));

    [Fact]
    public void AdamW_accepts_a_weight_decay_of_zero()
        => new AdamW(weightDecay: 0f).Step(new float[3], [1f, 2f, 3f]);

    [Fact]
    public void Adam_accepts_betas_of_zero()
        => new Adam(beta1: 0f, beta2: 0f).Step(new float[3], [1f, 2f, 3f]);

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Sgd_rejects_a_learning_rate_that_is_not_positive_and_finite(float learningRate)
        => AssertOutOfRange("learningRate", () => new Sgd(learningRate));

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void Sgd_rejects_a_momentum_outside_zero_to_one(float momentum)
        => AssertOutOfRange("momentum", () => new Sgd(0.1f, momentum));

    [Theory]
    [InlineData(-1e-4f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Sgd_rejects_a_weight_decay_that_is_negative_or_not_finite(float weightDecay)
    {
        AssertOutOfRange("weightDecay", () => new Sgd(0.1f, weightDecay: weightDecay));
        AssertOutOfRange("weightDecay", () => new Sgd(0.1f, 0.9f, weightDecay));
    }

    public static TheoryData<string> Optimizers => ["adam", "adamw", "sgd", "sgd-momentum", "sgd-decay", "sgd-momentum-decay"];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Gradients_of_another_length_throw_and_change_nothing(string name)
    {
        IOptimizer optimizer = Create(name);
        float[] parameters = [1f, 2f, 3f];
        var e = Assert.Throws<ArgumentException>(() => optimizer.Step(parameters, new float[4]));
        Assert.Equal("gradients", e.ParamName);
        Assert.Equal([1f, 2f, 3f], parameters);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgd-momentum")]
    [InlineData("sgd-momentum-decay")]
    public void A_stateful_optimizer_given_a_parameter_vector_of_another_length_throws_and_changes_nothing(string name)
    {
        IOptimizer optimizer = Create(name);
        optimizer.Step(new float[3], [1f, 1f, 1f]);
        float[] other = [1f, 2f, 3f, 4f];
        var e = Assert.Throws<ArgumentException>(() => optimizer.Step(other, [1f, 1f, 1f, 1f]));
        Assert.Equal("parameters", e.ParamName);
        Assert.Equal([1f, 2f, 3f, 4f], other);
    }

    private static IOptimizer Create(string name) => name switch
    {
        "adam" => new Adam(),
        "adamw" => new AdamW(),
        "sgd" => new Sgd(0.1f),
        "sgd-momentum" => new Sgd(0.1f, 0.9f),
        "sgd-decay" => new Sgd(0.1f, weightDecay: 0.01f),
        "sgd-momentum-decay" => new Sgd(0.1f, 0.9f, 0.01f),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static void AssertOutOfRange(string paramName, Func<object> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => create());
        Assert.Equal(paramName, e.ParamName);
    }
}
