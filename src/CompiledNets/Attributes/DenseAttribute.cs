using System;

namespace CompiledNets;

/// <summary>
/// A fully connected layer: <c>output = activation(input · W + b)</c>, with weights <c>W</c> of shape
/// [inputs, units] (row-major) and bias <c>b</c> of shape [units].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a dense layer.</summary>
    /// <param name="units">The number of outputs of the layer. Must be positive.</param>
    /// <param name="activation">The nonlinearity applied to the outputs.</param>
    public DenseAttribute(int units, Activation activation = Activation.None)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>The number of outputs of the layer.</summary>
    public int Units { get; }

    /// <summary>The nonlinearity applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>How the weights are initialized. Defaults to <see cref="CompiledNets.WeightInit.Auto"/>.</summary>
    public WeightInit WeightInit { get; set; } = WeightInit.Auto;

    /// <summary>
    /// The standard deviation for <see cref="CompiledNets.WeightInit.TruncatedNormal"/> (default 0.1, as in the
    /// dropout tutorial). Must be positive and finite; ignored by the other initializations.
    /// </summary>
    public double WeightStdDev { get; set; } = 0.1;

    /// <summary>The value every bias starts at (default 0). Must be finite.</summary>
    public double BiasInit { get; set; }

    /// <summary>
    /// The max-norm constraint (Srivastava et al. 2014; Keras' <c>MaxNorm(c, axis=0)</c>): when set, after every optimizer
    /// step in <c>TrainStep</c> each unit's incoming weights (a column of the [inputs, units] weight matrix) whose L2 norm
    /// exceeds <c>c</c> are multiplied by <c>c / (1e-7 + norm)</c>, Keras' factor, so the norm ends at most <c>c</c>;
    /// columns within the bound are left exactly as they are (see <see cref="Kernels.MaxNorm"/>). The bias is not
    /// constrained. Not set (0): no constraint. Setting it to a value that is not positive and finite (as a float) is
    /// the compile-time error CNN0028.
    /// </summary>
    public double MaxNorm { get; set; }
}
