using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace CompiledNets.Interop;

/// <summary>
/// A <c>.safetensors</c> file with any tensor names: an 8-byte little-endian header length N, N bytes of a JSON object
/// <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>, then the data
/// section, little-endian, which the tensors must cover exactly (no holes, no overlaps), as the format specifies.
/// The header is read and checked on opening; tensor data only by <see cref="Read"/>, straight from the file.
/// </summary>
/// <remarks>
/// <see cref="SafeTensors"/> reads our own naming into a network in one pass; this reader serves files named and laid
/// out by PyTorch, whose names are only mapped to layers after the whole header is known.
/// </remarks>
internal sealed class SafeTensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 64L << 20;

    private readonly string _path;
    private readonly SafeFileHandle _file;
    private readonly long _dataStart;

    private SafeTensorsFile(string path, SafeFileHandle file, long dataStart, List<StateDictTensor> tensors)
    {
        _path = path;
        _file = file;
        _dataStart = dataStart;
        Tensors = tensors;
    }

    /// <summary>The tensors in the header's order.</summary>
    public IReadOnlyList<StateDictTensor> Tensors { get; }

    public static SafeTensorsFile Open(string path)
    {
        SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(file);
            Span<byte> prefix = stackalloc byte[8];
            if (fileLength < 8 || RandomAccess.Read(file, prefix, 0) != 8)
                throw StateDictSource.Invalid(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length of a .safetensors file");
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > (ulong)(fileLength - 8))
                throw StateDictSource.Invalid(path, $"the header length {headerLength} is more than the {fileLength - 8} bytes after it");
            if (headerLength > MaxHeaderBytes)
                throw StateDictSource.Invalid(path, $"the header length {headerLength} is more than the {MaxHeaderBytes} a header may have");
            var header = new byte[headerLength];
            if (RandomAccess.Read(file, header, 8) != header.Length)
                throw StateDictSource.Invalid(path, "the file ends inside its header");
            long dataStart = 8 + (long)headerLength;
            List<StateDictTensor> tensors = ParseHeader(path, header, fileLength - dataStart);
            return new SafeTensorsFile(path, file, dataStart, tensors);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static List<StateDictTensor> ParseHeader(string path, byte[] header, long dataLength)
    {
        // JsonDocument accepts invalid UTF-8 inside strings and only fails when one is read (InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw StateDictSource.Invalid(path, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw StateDictSource.Invalid(path, "the header is not valid JSON: " + e.Message.TrimEnd('.'));
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw StateDictSource.Invalid(path, "the header is not a JSON object");
            var tensors = new List<StateDictTensor>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var spans = new List<(long Begin, long End, string Name)>();
            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                if (!names.Add(entry.Name))
                    throw StateDictSource.Invalid(path, $"'{entry.Name}' appears twice in the header");
                if (entry.Name == "__metadata__")
                {
                    CheckMetadata(path, entry.Value);
                    continue;
                }
                StateDictTensor tensor = ParseTensor(path, entry.Name, entry.Value, dataLength, out long end);
                spans.Add((tensor.ByteOffset, end, tensor.Key));
                tensors.Add(tensor);
            }
            // The specification: the byte buffer is entirely indexed and the tensors do not overlap.
            spans.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long covered = 0;
            foreach ((long begin, long end, string name) in spans)
            {
                if (begin != covered)
                    throw StateDictSource.Invalid(path, begin > covered
                        ? $"the data section has a hole of {begin - covered} bytes before tensor '{name}'"
                        : $"tensor '{name}' overlaps the tensor before it");
                covered = end;
            }
            if (covered != dataLength)
                throw StateDictSource.Invalid(path, $"the tensors cover {covered} bytes but the data section has {dataLength}");
            return tensors;
        }
    }

    private static StateDictTensor ParseTensor(string path, string name, JsonElement entry, long dataLength, out long end)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw StateDictSource.Invalid(path, $"tensor '{name}' is not described by a JSON object");
        if (!entry.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw StateDictSource.Invalid(path, $"tensor '{name}' has no dtype");
        string dtypeName = dtypeElement.GetString()!;
        if (!TensorDTypes.TryFromSafeTensors(dtypeName, out TensorDType dtype))
            throw StateDictSource.Invalid(path, $"tensor '{name}' has dtype {dtypeName}, which cannot be loaded (only F32, and F64, F16, BF16 converted to F32)");
        long[] shape = Integers(path, name, entry, "shape");
        long count = StateDictTensor.Product(shape);
        if (count < 0)
            throw StateDictSource.Invalid(path, $"tensor '{name}' has shape {StateDictTensor.Format(shape)}");
        long[] offsets = Integers(path, name, entry, "data_offsets");
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw StateDictSource.Invalid(path, $"tensor '{name}' has data_offsets {StateDictTensor.Format(offsets)} outside the {dataLength}-byte data section");
        if (offsets[1] - offsets[0] != count * dtype.Size())
            throw StateDictSource.Invalid(path, $"tensor '{name}' spans {offsets[1] - offsets[0]} bytes, but {count} {dtypeName} values need {count * dtype.Size()}");
        end = offsets[1];
        return new StateDictTensor(name, dtype, shape, "data", offsets[0]);
    }

    private static long[] Integers(string path, string name, JsonElement entry, string property)
    {
        if (!entry.TryGetProperty(property, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw StateDictSource.Invalid(path, $"tensor '{name}' has no '{property}' array");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i++]) || values[i - 1] < 0)
                throw StateDictSource.Invalid(path, $"tensor '{name}' has {item.GetRawText()} in '{property}', not a non-negative integer");
        }
        return values;
    }

    private static void CheckMetadata(string path, JsonElement metadata)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
            throw StateDictSource.Invalid(path, "__metadata__ is not a JSON object");
        foreach (JsonProperty pair in metadata.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
                throw StateDictSource.Invalid(path, $"__metadata__ value '{pair.Name}' is not a string");
        }
    }

    /// <summary>Reads each tensor's bytes from the data section and decodes them into its target.</summary>
    public void Read(IReadOnlyList<TensorRead> reads)
    {
        Span<byte> chunk = stackalloc byte[TensorRead.ChunkBytes];
        Span<float> scratch = stackalloc float[TensorRead.ChunkBytes / 2];
        foreach (TensorRead read in reads)
        {
            long position = read.Tensor.ByteOffset, end = position + read.Tensor.ByteLength;
            while (position < end)
            {
                Span<byte> bytes = chunk[..(int)Math.Min(chunk.Length, end - position)];
                for (int filled = 0; filled < bytes.Length;)
                {
                    int length = RandomAccess.Read(_file, bytes[filled..], _dataStart + position + filled);
                    if (length == 0)
                        throw StateDictSource.Invalid(_path, $"the file ends inside tensor '{read.Tensor.Key}' (was it changed while being read?)");
                    filled += length;
                }
                read.Feed(bytes, position, scratch);
                position += bytes.Length;
            }
        }
    }

    public void Dispose() => _file.Dispose();

}
