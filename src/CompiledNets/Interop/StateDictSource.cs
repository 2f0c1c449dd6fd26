using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace CompiledNets.Interop;

/// <summary>A state dict file of either format, told apart by its first bytes: a zip is <c>torch.save</c>'s, else safetensors.</summary>
internal sealed class StateDictSource : IDisposable
{
    private readonly TorchZipFile? _zip;
    private readonly SafeTensorsFile? _safeTensors;

    private StateDictSource(TorchZipFile? zip, SafeTensorsFile? safeTensors)
    {
        _zip = zip;
        _safeTensors = safeTensors;
    }

    public IReadOnlyList<StateDictTensor> Tensors => _zip?.Tensors ?? _safeTensors!.Tensors;

    public static StateDictSource Open(string path)
    {
        Span<byte> start = stackalloc byte[8];
        long fileLength;
        using (var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
        {
            start = start[..probe.ReadAtLeast(start, start.Length, throwOnEndOfStream: false)];
            fileLength = probe.Length;
        }
        if (TorchZipFile.IsZip(start))
            return new StateDictSource(TorchZipFile.Open(path), null);
        // torch.save's format before 1.6 (or _use_new_zipfile_serialization=False): pickles one after the other, the
        // first being a magic number (PROTO 2, LONG1 of 10 bytes).
        // first being a magic number (PROTO 2, LONG1 of 10 bytes). As a safetensors header length, either start would
        // claim more bytes than the file has.
        bool pickle = start.Length == 8 && start[0] == 0x80 && start[1] is >= 2 and <= 5
                      && BinaryPrimitives.ReadUInt64LittleEndian(start) > (ulong)fileLength;
        if (pickle && start[1] == 2 && start[2] == 0x8A && start[3] == 10)
            throw Invalid(path, "it is in torch.save's legacy format, which is not read; re-save it with torch.save(state_dict, path, _use_new_zipfile_serialization=True) (the default since PyTorch 1.6)");
        if (pickle)
            throw Invalid(path, "it is a bare pickle, not a torch.save zip or a .safetensors file");
        return new StateDictSource(null, SafeTensorsFile.Open(path));
    }

    public void Read(IReadOnlyList<TensorRead> reads)
    {
        if (_zip is not null) _zip.Read(reads);
        else _safeTensors!.Read(reads);
    }

    public void Dispose()
    {
        _zip?.Dispose();
        _safeTensors?.Dispose();
    }

    /// <summary>The one form of every fault of a state dict file: its path, then what is wrong.</summary>
    public static InvalidDataException Invalid(string path, string fault) =>
        new($"{path}: cannot load this PyTorch state dict: {fault}.");
}
