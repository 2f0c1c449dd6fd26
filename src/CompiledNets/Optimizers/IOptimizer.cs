using System;

namespace CompiledNets;

/// <summary>Updates a network's flat parameter vector from its flat gradient vector.</summary>
public interface IOptimizer
{
    /// <summary>One update. <paramref name="parameters"/> and <paramref name="gradients"/> have the same length, the same on every call.</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}
