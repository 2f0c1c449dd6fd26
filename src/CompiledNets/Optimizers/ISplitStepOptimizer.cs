using System;
using System.Collections.Generic;

namespace CompiledNets;

/// <summary>An optimizer whose pass <see cref="Kernels.OptimizerStep"/> can split between two threads (<see cref="Adam"/>, <see cref="AdamW"/>).</summary>
internal interface ISplitStepOptimizer
{
    /// <summary>
    /// One step with the pass split between two threads. With the network's <paramref name="tensors"/>, each weight
    /// matrix is split by rows at <see cref="Kernels.Gemm.OwnerSplit"/>, as the forward product and the weight gradient
    /// split it; without them, in two contiguous halves. Each parameter is updated the same way whatever the split.
    /// </summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int threads, IReadOnlyList<ParameterTensor>? tensors);
}
