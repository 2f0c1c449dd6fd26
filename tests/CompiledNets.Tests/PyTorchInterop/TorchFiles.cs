using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>Writes pickle opcodes one by one, as Python's pickler does, to make torch.save files a test needs.</summary>
internal sealed class PickleWriter
{
    private readonly List<byte> _bytes = new();
    private int _memo;

    public byte[] ToArray() => _bytes.ToArray();

    public PickleWriter Op(char opcode) => Raw((byte)opcode);

    public PickleWriter Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleWriter Proto(int version = 2) => Raw(0x80, (byte)version);

    public PickleWriter Global(string module, string name) => Op('c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    /// <summary>Protocol 4's form: the two names as strings, then STACK_GLOBAL.</summary>
    public PickleWriter StackGlobal(string module, string name) => Text(module).Text(name).Raw(0x93);

    public PickleWriter Text(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Op('X').Raw(length).Raw(utf8);
    }

    public PickleWriter Int(long value)
    {
        if (value is >= 0 and < 256) return Op('K').Raw((byte)value);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
            return Op('J').Raw(bytes);
        }
        var eight = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(eight, value);
        return Raw(0x8A, 8).Raw(eight);
    }

    public PickleWriter Ints(params long[] values)
    {
        Mark();
        foreach (long value in values) Int(value);
        return Op('t');
    }

    public PickleWriter Mark() => Op('(');
    public PickleWriter Tuple() => Op('t');
    public PickleWriter EmptyTuple() => Op(')');
    public PickleWriter EmptyDict() => Op('}');
    public PickleWriter Reduce() => Op('R');
    public PickleWriter SetItems() => Op('u');
    public PickleWriter False() => Raw(0x89);
    public PickleWriter Stop() => Op('.');

    /// <summary>BINPUT: remembers the top of the stack; returns its memo index through <paramref name="index"/>.</summary>
    public PickleWriter Put(out int index)
    {
        index = _memo++;
        return Op('q').Raw((byte)index);
    }

    public PickleWriter Get(int index) => Op('h').Raw((byte)index);
}

/// <summary>One tensor of a state dict written by <see cref="TorchFiles.WriteStateDict"/>.</summary>
internal sealed record TorchTensor(string Key, float[] Values, long[] Shape)
{
    public string StorageClass { get; init; } = "FloatStorage";
    public int ElementSize { get; init; } = 4;
    public byte[]? RawBytes { get; init; }
    public long[]? Stride { get; init; }
    public long Offset { get; init; }
    public long? StorageCount { get; init; }
    public string? StorageKey { get; init; }

    public byte[] Bytes => RawBytes ?? Values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();

    public long[] ContiguousStride()
    {
        var stride = new long[Shape.Length];
        long step = 1;
        for (int i = Shape.Length - 1; i >= 0; i--) { stride[i] = step; step *= Shape[i]; }
        return stride;
    }
}

/// <summary>Writes torch.save files the way PyTorch 1.13 does (protocol 2, the same opcodes), with faults on request.</summary>
internal static class TorchFiles
{
    /// <summary>The pickle torch.save writes for an OrderedDict of tensors (without the _metadata attribute).</summary>
    public static byte[] StateDictPickle(IReadOnlyList<TorchTensor> tensors, bool protocol4 = false)
    {
        var pickle = new PickleWriter().Proto(protocol4 ? 4 : 2);
        Global(pickle, "collections", "OrderedDict", protocol4).Put(out int orderedDict).EmptyTuple().Reduce().Put(out _).Mark();
        int? rebuild = null;
        for (int i = 0; i < tensors.Count; i++)
        {
            TorchTensor t = tensors[i];
            pickle.Text(t.Key);
            if (rebuild is int r) pickle.Get(r);
            else
            {
                Global(pickle, "torch._utils", "_rebuild_tensor_v2", protocol4).Put(out int index);
                rebuild = index;
            }
            pickle.Mark().Mark().Text("storage");
            Global(pickle, "torch", t.StorageClass, protocol4);
            pickle.Text(t.StorageKey ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Text("cpu")
                .Int(t.StorageCount ?? t.Bytes.Length / t.ElementSize).Tuple().Op('Q')
                .Int(t.Offset).Ints(t.Shape).Ints(t.Stride ?? t.ContiguousStride()).False()
                .Get(orderedDict).EmptyTuple().Reduce().Tuple().Reduce();
        }
        return pickle.SetItems().Stop().ToArray();
    }

    private static PickleWriter Global(PickleWriter pickle, string module, string name, bool protocol4) =>
        protocol4 ? pickle.StackGlobal(module, name) : pickle.Global(module, name);

    /// <summary>A torch.save zip: {prefix}/data.pkl, {prefix}/data/{key} per storage, {prefix}/version, and a byteorder record if given.</summary>
    public static void WriteZip(string path, byte[] pickle, IEnumerable<(string Key, byte[] Bytes)> storages, string prefix = "archive", string? byteorder = null)
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        void Add(string name, byte[] bytes)
        {
            using Stream stream = zip.CreateEntry($"{prefix}/{name}", CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
        Add("data.pkl", pickle);
        if (byteorder is not null) Add("byteorder", Encoding.ASCII.GetBytes(byteorder));
        foreach ((string key, byte[] bytes) in storages) Add("data/" + key, bytes);
        Add("version", "3\n"u8.ToArray());
    }

    /// <summary>A whole state dict: the pickle and one storage per tensor (unless tensors name a shared StorageKey).</summary>
    public static void WriteStateDict(string path, IReadOnlyList<TorchTensor> tensors, bool protocol4 = false, string? byteorder = null)
    {
        var storages = new Dictionary<string, byte[]>();
        for (int i = 0; i < tensors.Count; i++)
            storages.TryAdd(tensors[i].StorageKey ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture), tensors[i].Bytes);
        WriteZip(path, StateDictPickle(tensors, protocol4), storages.Select(s => (s.Key, s.Value)), byteorder: byteorder);
    }

    /// <summary>The tensors of a network's parameters in PyTorch names (Sequential indices) and layouts.</summary>
    public static List<TorchTensor> FromNetwork(ICompiledNetwork network, IReadOnlyList<string> modules)
    {
        var tensors = new List<TorchTensor>();
        int m = 0;
        float[] parameters = network.Parameters.ToArray();
        foreach (LayerInfo layer in network.Layers.Where(l => l.Parameters.Count > 0))
        {
            ParameterTensor weight = layer.Parameters[0], bias = layer.Parameters[1];
            float[] w = parameters.AsSpan(weight.Offset, weight.Length).ToArray();
            long[] shape = weight.Shape.Select(d => (long)d).ToArray();
            if (layer.Kind == "Dense")
            {
                int rows = weight.Shape[0], columns = weight.Shape[1];
                var transposed = new float[w.Length];
                for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    transposed[c * rows + r] = w[r * columns + c];
                w = transposed;
                shape = [columns, rows];
            }
            tensors.Add(new TorchTensor(modules[m] + ".weight", w, shape));
            tensors.Add(new TorchTensor(modules[m] + ".bias", parameters.AsSpan(bias.Offset, bias.Length).ToArray(), [bias.Length]));
            m++;
        }
        return tensors;
    }
}
