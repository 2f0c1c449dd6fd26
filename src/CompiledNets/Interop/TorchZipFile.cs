using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace CompiledNets.Interop;

/// <summary>
/// A <c>torch.save</c> file in the zip format (PyTorch 1.6 and later): <c>{name}/data.pkl</c>, the pickled state dict
/// (read by <see cref="StateDictPickle"/>), <c>{name}/data/{key}</c>, one entry of raw bytes per storage, and since
/// PyTorch 2.x <c>{name}/byteorder</c> (<c>little</c> or <c>big</c>; little when absent). Every entry read is checked
/// against the CRC-32 and size the zip's directory gives it.
/// </summary>
internal sealed class TorchZipFile : IDisposable
{
    private const long MaxPickleBytes = 64L << 20;

    private readonly string _path;
    private readonly FileStream _stream;
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _storages;
    private readonly bool _bigEndian;

    private TorchZipFile(string path, FileStream stream, ZipArchive zip, List<StateDictTensor> tensors, Dictionary<string, ZipArchiveEntry> storages, bool bigEndian)
    {
        _path = path;
        _stream = stream;
        _zip = zip;
        Tensors = tensors;
        _storages = storages;
        _bigEndian = bigEndian;
    }

    /// <summary>Whether <paramref name="start"/> (a file's first bytes) is a zip's local header signature.</summary>
    public static bool IsZip(ReadOnlySpan<byte> start) => start.Length >= 4 && start[0] == 'P' && start[1] == 'K' && start[2] == 3 && start[3] == 4;

    /// <summary>The state dict's tensors, in the pickle's order, each checked to lie inside its storage.</summary>
    public IReadOnlyList<StateDictTensor> Tensors { get; }

    /// <summary>Opens and checks the archive and its pickle; reads no tensor data yet.</summary>
    public static TorchZipFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        ZipArchive? zip = null;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            string? prefix = null;
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                if (!entries.TryAdd(entry.FullName, entry))
                    throw StateDictSource.Invalid(path, $"the zip holds '{entry.FullName}' twice");
                int slash = entry.FullName.IndexOf('/');
                if (slash > 0 && entry.FullName.AsSpan(slash) is "/data.pkl")
                {
                    if (prefix is not null) throw StateDictSource.Invalid(path, $"the zip holds two pickles, {prefix}/data.pkl and {entry.FullName}");
                    prefix = entry.FullName[..slash];
                }
            }
            if (prefix is null)
                throw StateDictSource.Invalid(path, "the zip has no {name}/data.pkl: it is not a torch.save file");

            bool bigEndian = false;
            if (entries.TryGetValue(prefix + "/byteorder", out ZipArchiveEntry? order))
            {
                string text = Encoding.ASCII.GetString(ReadEntry(path, order, 16));
                bigEndian = text switch
                {
                    "little" => false,
                    "big" => true,
                    _ => throw StateDictSource.Invalid(path, $"its byteorder record says '{text}', not little or big"),
                };
            }

            byte[] pickle = ReadEntry(path, entries[prefix + "/data.pkl"], MaxPickleBytes);
            var tensors = new List<StateDictTensor>();
            var storages = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach ((string key, StateDictPickle.Tensor tensor) in StateDictPickle.Read(pickle, path))
            {
                StateDictPickle.Storage storage = tensor.Storage;
                if (!storages.ContainsKey(storage.Key))
                {
                    if (!entries.TryGetValue($"{prefix}/data/{storage.Key}", out ZipArchiveEntry? data))
                        throw StateDictSource.Invalid(path, $"tensor '{key}' is in storage '{storage.Key}', but the zip has no {prefix}/data/{storage.Key}");
                    long bytes = storage.Count > long.MaxValue / 16 ? -1 : storage.Count * storage.DType.Size();
                    if (data.Length != bytes)
                        throw StateDictSource.Invalid(path, $"storage '{storage.Key}' holds {storage.Count} {storage.DType.TorchName()} values ({bytes} bytes), but its zip entry has {data.Length} bytes");
                    storages[storage.Key] = data;
                }
                tensors.Add(Describe(path, key, tensor));
            }
            return new TorchZipFile(path, stream, zip, tensors, storages, bigEndian);
        }
        catch (Exception e) when (IsLibraryFault(path, e))
        {
            zip?.Dispose();
            stream.Dispose();
            throw StateDictSource.Invalid(path, "the zip is damaged: " + e.Message.TrimEnd('.'));
        }
        catch
        {
            zip?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Checks that a tensor is contiguous and row-major and lies inside its storage.</summary>
    private static StateDictTensor Describe(string path, string key, StateDictPickle.Tensor tensor)
    {
        long count = StateDictTensor.Product(tensor.Shape);
        if (count < 0)
            throw StateDictSource.Invalid(path, $"tensor '{key}' has size {StateDictTensor.Format(tensor.Shape)}");
        long expected = 1;
        for (int i = tensor.Shape.Length - 1; i >= 0; i--)
        {
            // A dimension of size 1 may have any stride (PyTorch's own contiguity rule); an empty tensor has no layout.
            if (tensor.Shape[i] != 1 && count != 0 && tensor.Stride[i] != expected)
                throw StateDictSource.Invalid(path, $"tensor '{key}' has strides {StateDictTensor.Format(tensor.Stride)} for size {StateDictTensor.Format(tensor.Shape)}: only contiguous row-major tensors are read (save t.contiguous())");
            expected *= tensor.Shape[i];
        }
        if (tensor.Offset > tensor.Storage.Count - count)
            throw StateDictSource.Invalid(path, $"tensor '{key}' ({count} values from offset {tensor.Offset}) runs past the end of its storage '{tensor.Storage.Key}' of {tensor.Storage.Count}");
        return new StateDictTensor(key, tensor.Storage.DType, tensor.Shape, tensor.Storage.Key, tensor.Offset * tensor.Storage.DType.Size());
    }

    /// <summary>
    /// Reads each storage that <paramref name="reads"/> use once, start to end, checking its size and CRC-32 and
    /// decoding the tensors that lie in it into their targets.
    /// </summary>
    public void Read(IReadOnlyList<TensorRead> reads)
    {
        Span<byte> chunk = stackalloc byte[TensorRead.ChunkBytes];
        Span<float> scratch = stackalloc float[TensorRead.ChunkBytes / 2];
        var byStorage = new Dictionary<string, List<TensorRead>>(StringComparer.Ordinal);
        foreach (TensorRead read in reads)
        {
            if (!byStorage.TryGetValue(read.Tensor.Location, out List<TensorRead>? list))
                byStorage[read.Tensor.Location] = list = new List<TensorRead>();
            list.Add(read with { BigEndian = _bigEndian });
        }
        try
        {
            foreach ((string key, List<TensorRead> list) in byStorage)
            {
                ZipArchiveEntry entry = _storages[key];
                var crc = new Crc32();
                long position = 0;
                using (Stream data = entry.Open())
                {
                    while (true)
                    {
                        int length = data.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
                        if (length == 0) break;
                        if (position + length > entry.Length)
                            throw StateDictSource.Invalid(_path, $"zip entry {entry.FullName} holds more than the {entry.Length} bytes its directory gives");
                        ReadOnlySpan<byte> bytes = chunk[..length];
                        crc.Append(bytes);
                        foreach (TensorRead read in list)
                            read.Feed(bytes, position, scratch);
                        position += length;
                    }
                }
                Check(_path, entry, position, crc.GetCurrentHashAsUInt32());
            }
        }
        catch (Exception e) when (IsLibraryFault(_path, e))
        {
            throw StateDictSource.Invalid(_path, "the zip is damaged: " + e.Message.TrimEnd('.'));
        }
    }

    /// <summary>
    /// Reads a whole entry of at most <paramref name="limit"/> bytes, checking its size and CRC-32. The buffer grows
    /// with the bytes that arrive, so a directory claiming more than the entry holds allocates nothing for it.
    /// </summary>
    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long limit)
    {
        if (entry.Length > limit)
            throw StateDictSource.Invalid(path, $"{entry.FullName} claims {entry.Length} bytes, more than the {limit} it may have");
        using var bytes = new MemoryStream((int)Math.Min(entry.Length, 1 << 16));
        Span<byte> chunk = stackalloc byte[4096];
        using (Stream data = entry.Open())
        {
            for (int length; (length = data.Read(chunk)) > 0;)
            {
                if (bytes.Length + length > entry.Length)
                    throw StateDictSource.Invalid(path, $"zip entry {entry.FullName} holds more than the {entry.Length} bytes its directory gives");
                bytes.Write(chunk[..length]);
            }
        }
        Check(path, entry, bytes.Length, Crc32.HashToUInt32(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)));
        return bytes.ToArray();
    }

    private static void Check(string path, ZipArchiveEntry entry, long length, uint crc)
    {
        if (length != entry.Length)
            throw StateDictSource.Invalid(path, $"zip entry {entry.FullName} ends after {length} of its {entry.Length} bytes");
        if (crc != entry.Crc32)
            throw StateDictSource.Invalid(path, $"zip entry {entry.FullName} fails its CRC-32 check (0x{crc:X8}, the directory says 0x{entry.Crc32:X8})");
    }

    public void Dispose()
    {
        _zip.Dispose();
        _stream.Dispose();
    }

    /// <summary>
    /// What System.IO.Compression throws on a damaged archive (InvalidDataException, IOException, NotSupportedException
    /// for an unknown compression method, ArgumentException for a bad name or date), as opposed to this class's own
    /// faults, whose messages start with the path.
    /// </summary>
    private static bool IsLibraryFault(string path, Exception e) =>
        e is IOException or NotSupportedException or ArgumentException
        || (e is InvalidDataException && !e.Message.StartsWith(path, StringComparison.Ordinal));

}
