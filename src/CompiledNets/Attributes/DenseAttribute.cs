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

    /// <summary>
    /// DropConnect (Wan et al. 2013): the <b>drop</b> probability of each weight, in [0, 1), so each weight is kept with
    /// probability <c>p = 1 − rate</c>. While training, every weight of the layer is dropped independently for each
    /// example (the kept weights are used unscaled, as in the paper) and Backward goes through the same masks; the masks
    /// are drawn inside the kernel from the network's counter-based mask stream (see <see cref="Kernels.DropConnect"/>),
    /// never stored. At inference, <see cref="DropConnectInference"/> chooses the rule. 0 (the default): no DropConnect.
    /// A rate outside [0, 1) is the compile-time error CNN0029.
    /// </summary>
    public double DropConnect { get; set; }

    /// <summary>
    /// The inference rule of a layer with <see cref="DropConnect"/>: <see cref="CompiledNets.DropConnectInference.MomentMatching"/>
    /// (the default, the paper's) or <see cref="CompiledNets.DropConnectInference.MeanWeight"/>. Given without DropConnect:
    /// the warning CNN0030.
    /// </summary>
    public DropConnectInference DropConnectInference { get; set; }

    /// <summary>
    /// Gaussian samples per unit for <see cref="CompiledNets.DropConnectInference.MomentMatching"/> (default 64, in 32
    /// antithetic pairs: <see cref="Kernels.DropConnect.DefaultSamples"/>). Below 1: the error CNN0029; given without
    /// DropConnect: the warning CNN0030.
    /// </summary>
    public int DropConnectSamples { get; set; } = Kernels.DropConnect.DefaultSamples;
}
