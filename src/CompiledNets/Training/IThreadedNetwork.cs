namespace CompiledNets;

/// <summary>
/// A network whose forward and backward passes can split each batch between threads. Every
/// <see cref="ICompiledNetwork"/> is one; <see cref="Trainer{TNetwork}"/> sets it from its <c>threads</c> option.
/// </summary>
public interface IThreadedNetwork
{
    /// <summary>
    /// Threads each matrix product is split between (1 by default; more than the processor count are not used). Rows of a
    /// product are divided between the threads and every element is computed the same way, so results do not depend on it.
    /// </summary>
    int Threads { get; set; }
}
