namespace CompiledNets;

/// <summary>How a dense layer with DropConnect computes its outputs at inference (<see cref="DenseAttribute.DropConnectInference"/>).</summary>
public enum DropConnectInference
{
    /// <summary>
    /// Wan et al. 2013's rule (their Algorithm 2): each unit's pre-activation is taken as the Gaussian that matches the
    /// mean <c>u = p · (W x) + b</c> and variance <c>v = p(1 − p) · ((x²) · (W²))</c> of the DropConnect sum;
    /// <c>DropConnectSamples</c> fixed draws of <c>N(u, v)</c> per unit are put through the activation and averaged. The
    /// draws come from a stream with a fixed seed, so Predict is a pure function of the weights and the input.
    /// </summary>
    MomentMatching = 0,

    /// <summary>The mean-weight approximation: <c>activation(p · (W x) + b)</c>, as dropout's inference scaling.</summary>
    MeanWeight = 1,
}
