using System;
using System.Collections.Generic;

namespace CompiledNets.Kernels;

/// <summary>The optimizer step of a generated <c>TrainStep</c>.</summary>
public static class OptimizerStep
{
    /// <summary>
    /// <c>optimizer.Step(parameters, gradients)</c>; for <see cref="Adam"/> and <see cref="AdamW"/> with more than one thread, its pass split
    /// between two threads by the rows of each weight matrix, as the dense kernels split them (the same result: each
    /// parameter is updated on its own).
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="parameters">The network's parameters.</param>
    /// <param name="gradients">Their gradients.</param>
    /// <param name="threads">The network's thread count.</param>
    /// <param name="tensors">The network's layout (its <c>ParameterTensors</c>).</param>
    public static void Run(IOptimizer optimizer, Span<float> parameters, ReadOnlySpan<float> gradients, int threads,
        IReadOnlyList<ParameterTensor> tensors)
    {
        if (threads > 1 && optimizer is ISplitStepOptimizer split)
            split.Step(parameters, gradients, threads, tensors);
        else
            optimizer.Step(parameters, gradients);
    }
}
