using System.IO;

namespace CompiledNets;

/// <summary>Reads and writes optional float vectors of optimizer state (absent before the first step).</summary>
internal static class OptimizerStateIO
{
    public static void WriteVector(BinaryWriter writer, float[]? vector)
    {
        writer.Write(vector?.Length ?? -1);
        if (vector is null) return;
        foreach (float value in vector) writer.Write(value);
    }

    public static float[]? ReadVector(BinaryReader reader, int parameterCount)
    {
        int length = reader.ReadInt32();
        if (length == -1) return null;
        if (length != parameterCount)
            throw new InvalidDataException($"The optimizer state is for {length} parameters, but this network has {parameterCount}.");
        var vector = new float[length];
        for (int i = 0; i < length; i++) vector[i] = reader.ReadSingle();
        return vector;
    }
}
