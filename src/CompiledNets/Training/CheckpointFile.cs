using System;
using System.IO;
using System.IO.Hashing;
using System.Text;
using CompiledNets.Serialization;

namespace CompiledNets;

/// <summary>
/// Everything needed to resume training exactly: parameters, optimizer state, both random streams, epoch and step.
/// </summary>
internal sealed record CheckpointContent(
    string Layout,
    long Epochs,
    long Steps,
    ulong ShuffleState,
    ulong MaskState,
    string OptimizerDescription,
    byte[] OptimizerState,
    float[] Parameters);

/// <summary>
/// The checkpoint file: "CNCKPT01", the fields of <see cref="CheckpointContent"/> (little-endian, length-prefixed), then
/// the CRC-32 of everything before it. Written atomically, so a crash mid-save leaves the previous checkpoint intact.
/// </summary>
internal static class CheckpointFile
{
    private static ReadOnlySpan<byte> Magic => "CNCKPT01"u8;

    /// <summary>A text form of the parameter layout (names and shapes), compared on load.</summary>
    public static string LayoutOf(ICompiledNetwork network)
    {
        var layout = new StringBuilder();
        foreach (ParameterTensor tensor in network.ParameterTensors)
            layout.Append(tensor.Name).Append('[').Append(string.Join(",", tensor.Shape)).Append("] ");
        return layout.ToString().TrimEnd();
    }

    public static void Save(string path, CheckpointContent content)
    {
        AtomicFile.Write(path, stream =>
        {
            using var buffer = new MemoryStream();
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(content.Layout);
                writer.Write(content.Epochs);
                writer.Write(content.Steps);
                writer.Write(content.ShuffleState);
                writer.Write(content.MaskState);
                writer.Write(content.OptimizerDescription);
                writer.Write(content.OptimizerState.Length);
                writer.Write(content.OptimizerState);
                writer.Write(content.Parameters.Length);
                foreach (float value in content.Parameters) writer.Write(value);
            }
            uint crc = Crc32.HashToUInt32(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            buffer.WriteTo(stream);
            Span<byte> trailer = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
            stream.Write(trailer);
        });
    }

    /// <summary>Reads and checks a checkpoint; every fault is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static CheckpointContent Load(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < Magic.Length + 4 || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Invalid(path, "does not start with the checkpoint signature CNCKPT01");
        uint stored = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4));
        uint actual = Crc32.HashToUInt32(file.AsSpan(0, file.Length - 4));
        if (stored != actual)
            throw Invalid(path, $"fails its checksum (stored CRC-32 0x{stored:X8}, computed 0x{actual:X8}): it is damaged or cut short");

        try
        {
            using var reader = new BinaryReader(new MemoryStream(file, Magic.Length, file.Length - Magic.Length - 4), Encoding.UTF8);
            string layout = reader.ReadString();
            long epochs = reader.ReadInt64();
            long steps = reader.ReadInt64();
            ulong shuffle = reader.ReadUInt64();
            ulong mask = reader.ReadUInt64();
            string optimizer = reader.ReadString();
            byte[] optimizerState = reader.ReadBytes(Count(reader, path, "optimizer state size", file.Length));
            int parameterCount = Count(reader, path, "parameter count", file.Length / 4);
            var parameters = new float[parameterCount];
            for (int i = 0; i < parameters.Length; i++) parameters[i] = reader.ReadSingle();
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw Invalid(path, "has unread bytes before its checksum");
            return new CheckpointContent(layout, epochs, steps, shuffle, mask, optimizer, optimizerState, parameters);
        }
        catch (EndOfStreamException)
        {
            throw Invalid(path, "ends before all of its fields");
        }
    }

    private static int Count(BinaryReader reader, string path, string what, int limit)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > limit)
            throw Invalid(path, $"has an impossible {what} ({count})");
        return count;
    }

    public static InvalidDataException Invalid(string path, string fault) => new($"{path}: not a usable checkpoint: it {fault}.");
}
