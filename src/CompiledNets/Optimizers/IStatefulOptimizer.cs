using System.IO;

namespace CompiledNets;

/// <summary>
/// An optimizer whose state (moments, velocity, step count) can be written to a checkpoint and read back, so that a
/// resumed run continues exactly as an uninterrupted one. <see cref="Adam"/>, <see cref="AdamW"/> and <see cref="Sgd"/> implement it.
/// </summary>
public interface IStatefulOptimizer : IOptimizer
{
    /// <summary>Names the algorithm and its settings; a checkpoint is only restored into an optimizer that describes itself the same way.</summary>
    string Description { get; }

    /// <summary>Writes the state (everything <see cref="IOptimizer.Step"/> has accumulated).</summary>
    void WriteState(BinaryWriter writer);

    /// <summary>Reads state written by <see cref="WriteState"/> for <paramref name="parameterCount"/> parameters, replacing the current state.</summary>
    /// <exception cref="InvalidDataException">The state does not fit: another parameter count, or cut short.</exception>
    void ReadState(BinaryReader reader, int parameterCount);
}
