using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CompiledNets.Serialization;

namespace CompiledNets;

/// <summary>
/// Saves and loads a network's parameters as a <c>.safetensors</c> file, the format Hugging Face and PyTorch users
/// share: an 8-byte little-endian header length, a JSON header giving each tensor's dtype, shape and byte offsets,
/// then the raw little-endian data. One F32 tensor per weight and bias, named as in
/// <see cref="ICompiledNetwork.ParameterTensors"/> (<c>dense1.weight</c> [inputs, units], <c>dense1.bias</c> [units], ...).
/// </summary>
public static class SafeTensors
{
    // A header larger than this is not a parameter file of ours; refusing it bounds what a corrupt length can allocate.
    private const long MaxHeaderBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Writes the network's parameters to <paramref name="path"/> atomically (a temporary file, flushed, then renamed),
    /// so an interrupted save leaves any previous file intact.
    /// </summary>
    /// <param name="network">The network whose <see cref="ICompiledNetwork.Parameters"/> are saved.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">Optional string pairs stored in the header's <c>__metadata__</c>.</param>
    public static void Save(ICompiledNetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] header = BuildHeader(network.ParameterTensors, metadata);
        float[] parameters = network.Parameters.ToArray(); // a snapshot: the file holds one consistent state

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (ParameterTensor tensor in network.ParameterTensors)
                WriteLittleEndian(stream, parameters.AsSpan(tensor.Offset, tensor.Length));
        });
    }

    /// <summary>
    /// Reads <paramref name="path"/> into the network's parameters. The file must hold exactly the network's tensors,
    /// as F32 with the same shapes; otherwise nothing is changed and an <see cref="InvalidDataException"/> names the
    /// file and the tensor at fault.
    /// </summary>
    /// <returns>The header's <c>__metadata__</c> pairs (empty when there are none).</returns>
    public static IReadOnlyDictionary<string, string> Load(ICompiledNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] file = File.ReadAllBytes(path);
        var parameters = new float[network.Parameters.Length];
        IReadOnlyDictionary<string, string> metadata = Parse(file, path, network.ParameterTensors, parameters);
        parameters.CopyTo(network.Parameters); // only after every check passed
        return metadata;
    }

    internal static byte[] BuildHeader(IReadOnlyList<ParameterTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (KeyValuePair<string, string> pair in metadata)
                    json.WriteString(pair.Key, pair.Value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (ParameterTensor tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += 4L * tensor.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // The specification allows trailing spaces; padding to 8 bytes keeps the data aligned for memory-mapped readers.
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static IReadOnlyDictionary<string, string> Parse(byte[] file, string path, IReadOnlyList<ParameterTensor> expected, float[] parameters)
    {
        if (file.Length < 8)
            throw Invalid(path, $"the file has {file.Length} bytes, fewer than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(file.Length - 8))
            throw Invalid(path, $"the header length {headerLength} exceeds the {file.Length - 8} bytes after it");
        ReadOnlySpan<byte> data = file.AsSpan(8 + (int)headerLength);

        // JsonDocument accepts invalid UTF-8 inside strings and only fails when one is read (InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(file.AsSpan(8, (int)headerLength)))
            throw Invalid(path, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw Invalid(path, "the header is not valid JSON: " + e.Message);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(path, "the header is not a JSON object");

            var metadata = new Dictionary<string, string>();
            var found = new HashSet<string>(StringComparer.Ordinal);
            var byName = new Dictionary<string, ParameterTensor>(StringComparer.Ordinal);
            foreach (ParameterTensor tensor in expected) byName[tensor.Name] = tensor;
            long coveredBytes = 0;

            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    ReadMetadata(entry.Value, path, metadata);
                    continue;
                }
                if (!byName.TryGetValue(entry.Name, out ParameterTensor? tensor))
                    throw Invalid(path, $"it holds a tensor '{entry.Name}' that this network does not have (expected {string.Join(", ", byName.Keys)})");
                if (!found.Add(entry.Name))
                    throw Invalid(path, $"tensor '{entry.Name}' appears twice");
                ReadTensor(entry.Value, tensor, data, path, parameters);
                coveredBytes += 4L * tensor.Length;
            }

            foreach (ParameterTensor tensor in expected)
            {
                if (!found.Contains(tensor.Name))
                    throw Invalid(path, $"tensor '{tensor.Name}' [{string.Join(", ", tensor.Shape)}] is missing");
            }
            if (coveredBytes != data.Length)
                throw Invalid(path, $"the tensors cover {coveredBytes} bytes but the data section has {data.Length}");
            return metadata;
        }
    }

    private static void ReadTensor(JsonElement entry, ParameterTensor tensor, ReadOnlySpan<byte> data, string path, float[] parameters)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"tensor '{tensor.Name}' is not described by a JSON object");
        if (!entry.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String || dtype.GetString() != "F32")
            throw Invalid(path, $"tensor '{tensor.Name}' has dtype {Describe(entry, "dtype")}, expected \"F32\"");

        List<long> shape = ReadIntegers(entry, "shape", tensor.Name, path);
        bool shapeMatches = shape.Count == tensor.Shape.Count;
        for (int i = 0; shapeMatches && i < shape.Count; i++)
            shapeMatches = shape[i] == tensor.Shape[i];
        if (!shapeMatches)
            throw Invalid(path, $"tensor '{tensor.Name}' has shape [{string.Join(", ", shape)}], but this network's is [{string.Join(", ", tensor.Shape)}]");

        List<long> offsets = ReadIntegers(entry, "data_offsets", tensor.Name, path);
        if (offsets.Count != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
            throw Invalid(path, $"tensor '{tensor.Name}' has data_offsets [{string.Join(", ", offsets)}] outside the {data.Length}-byte data section");
        if (offsets[1] - offsets[0] != 4L * tensor.Length)
            throw Invalid(path, $"tensor '{tensor.Name}' spans {offsets[1] - offsets[0]} bytes, but {tensor.Length} floats need {4L * tensor.Length}");

        ReadOnlySpan<byte> bytes = data.Slice((int)offsets[0], (int)(offsets[1] - offsets[0]));
        Span<float> destination = parameters.AsSpan(tensor.Offset, tensor.Length);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
    }

    private static List<long> ReadIntegers(JsonElement entry, string property, string tensor, string path)
    {
        if (!entry.TryGetProperty(property, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw Invalid(path, $"tensor '{tensor}' has no '{property}' array");
        var values = new List<long>();
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value))
                throw Invalid(path, $"tensor '{tensor}' has a non-integer in '{property}'");
            values.Add(value);
        }
        return values;
    }

    private static void ReadMetadata(JsonElement element, string path, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Invalid(path, "__metadata__ is not a JSON object");
        foreach (JsonProperty pair in element.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"__metadata__ value '{pair.Name}' is not a string");
            metadata[pair.Name] = pair.Value.GetString()!;
        }
    }

    internal static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> buffer = stackalloc byte[4];
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }

    private static string Describe(JsonElement entry, string property) =>
        entry.TryGetProperty(property, out JsonElement value) ? value.GetRawText() : "(none)";

    private static InvalidDataException Invalid(string path, string fault) =>
        new($"{path}: not a parameter file for this network: {fault}.");
}
