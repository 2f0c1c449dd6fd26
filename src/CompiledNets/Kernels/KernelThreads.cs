using System;

namespace CompiledNets.Kernels;

/// <summary>The thread count a network's kernels split their work between (its <c>Threads</c> property).</summary>
public static class KernelThreads
{
    /// <summary>The most threads that are used: the processor count. A larger setting is allowed and capped.</summary>
    public static int Available => Environment.ProcessorCount;

    /// <summary>Returns <paramref name="threads"/>, or throws unless it is at least 1.</summary>
    /// <param name="threads">The requested number of threads.</param>
    /// <param name="paramName">The argument or property named in the exception.</param>
    public static int Check(int threads, string paramName = "value")
    {
        if (threads < 1)
            throw new ArgumentOutOfRangeException(paramName, threads, "At least one thread is needed.");
        return threads;
    }
}
