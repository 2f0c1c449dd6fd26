using System;
using System.Collections.Generic;

namespace CompiledNets;

/// <summary>The learned drop probabilities of a network's <see cref="ConcreteDropoutAttribute"/> layers.</summary>
public static class ConcreteDropoutRates
{
    /// <summary>
    /// The current drop probability <c>sigmoid(logit)</c> of each concrete dropout layer of <paramref name="network"/>, in
    /// declaration order, read from its <c>concrete{n}.logit</c> tensors (empty when it has none). Each generated class
    /// also has a <c>Concrete{n}Rate</c> property per layer.
    /// </summary>
    public static double[] Of(ICompiledNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var rates = new List<double>();
        foreach (LayerInfo layer in network.Layers)
        {
            if (layer.Kind == "ConcreteDropout" && layer.Parameters.Count == 1)
                rates.Add(Kernels.ConcreteDropout.Rate(network.Parameters[layer.Parameters[0].Offset]));
        }
        return rates.ToArray();
    }
}
