namespace CompiledNets;

/// <summary>How a <see cref="DenseAttribute"/> layer's weights are initialized from the network's seed.</summary>
/// <remarks>The numeric values are part of the contract with the source generator; do not renumber.</remarks>
public enum WeightInit
{
    /// <summary>
    /// He-normal for <see cref="Activation.ReLU"/> layers, Glorot-uniform for every other activation (SELU included, as
    /// the contract has it: a self-normalizing SELU network should ask for <see cref="LeCunNormal"/>).
    /// </summary>
    Auto = 0,
    /// <summary>Normal with mean 0 and standard deviation <c>sqrt(2 / fanIn)</c> (He et al., 2015).</summary>
    HeNormal = 1,
    /// <summary>Uniform on <c>±sqrt(6 / (fanIn + fanOut))</c> (Glorot and Bengio, 2010).</summary>
    GlorotUniform = 2,
    /// <summary>
    /// Normal with mean 0 and standard deviation <see cref="DenseAttribute.WeightStdDev"/>, redrawn when
    /// more than two standard deviations from the mean (TensorFlow's <c>truncated_normal</c>).
    /// </summary>
    TruncatedNormal = 3,
    /// <summary>
    /// Normal with mean 0 and standard deviation <c>sqrt(1 / fanIn)</c> (LeCun et al., 1998; Keras' <c>lecun_normal</c>,
    /// which Klambauer et al. 2017 prescribe for SELU): keeps a SELU layer's outputs near mean 0 and variance 1. Not the
    /// default for SELU (see <see cref="Auto"/>).
    /// </summary>
    LeCunNormal = 4,
}
