using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using CompiledNets.Tests.Data;
using Xunit.Abstractions;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>
/// Files <see cref="PyTorch.LoadStateDict"/> must refuse with an <see cref="InvalidDataException"/> that names the file,
/// leaving the parameters as they were: malicious pickles, damaged zips, tensor metadata it does not read, broken
/// safetensors headers; and the variants it reads (converted dtypes, big-endian data, views of one storage).
/// </summary>
public sealed class PyTorchStateDictFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static StateDictMlp Net(ulong seed = 21) => new(maxBatchSize: 1, seed);

    private static List<TorchTensor> MlpTensors(ulong seed = 22) => TorchFiles.FromNetwork(Net(seed), ["0", "3", "6"]);

    private string Refused(string name, byte[] file, params string[] phrases)
    {
        string path = _directory.File(name);
        File.WriteAllBytes(path, file);
        return Log(StateDictFixtures.AssertRefused(Net(), path, null, phrases));
    }

    private string RefusedPickle(PickleWriter pickle, params string[] phrases)
    {
        string path = _directory.File("crafted.pt");
        TorchFiles.WriteZip(path, pickle.ToArray(), [("0", new byte[4])]);
        return Log(StateDictFixtures.AssertRefused(Net(), path, null, phrases));
    }

    /// <summary>Writes the tensors as a torch.save file, loads it into a fresh network like source and compares the bits.</summary>
    private string AssertLoadsAs(ICompiledNetwork source, List<TorchTensor> tensors, string? byteorder = null)
    {
        string path = _directory.File("written.pt");
        TorchFiles.WriteStateDict(path, tensors, byteorder: byteorder);
        ICompiledNetwork target = source is StateDictMlp ? Net(99) : new StateDictSingleOutput(maxBatchSize: 1, seed: 99);
        PyTorch.LoadStateDict(target, path);
        Assert.Equal(StateDictFixtures.Bits(source), StateDictFixtures.Bits(target));
        return path;
    }

    private string Log(string message)
    {
        output.WriteLine(message);
        return message;
    }

    // ------------------------------------------------------------------ malicious pickles

    [Fact]
    public void A_reduce_payload_saved_by_python_is_refused_by_its_global()
    {
        string message = StateDictFixtures.AssertRefused(Net(), StateDictFixtures.File("reduce_payload.pt"), null,
            "refused: the pickle names the global posix.system", "data.pkl byte 20");
        Assert.Contains("collections.OrderedDict", message); // the message lists what is allowed
    }

    [Fact]
    public void A_global_builtins_eval_is_refused() =>
        RefusedPickle(new PickleWriter().Proto().EmptyDict().Text("0.weight").Global("builtins", "eval")
            .Text("__import__('os').system('echo no')").Raw(0x85).Reduce().Op('s').Stop(), "the global builtins.eval");

    [Fact]
    public void A_stack_global_builtins_exec_is_refused() =>
        RefusedPickle(new PickleWriter().Proto(4).StackGlobal("builtins", "exec").Text("print(1)").Raw(0x85).Reduce().Stop(),
            "the global builtins.exec");

    [Theory]
    [InlineData("FloatStorage\u0001", "a GLOBAL name that is not printable ASCII")]
    [InlineData("FloatStorage\u00e9", "a GLOBAL name that is not printable ASCII")]
    [InlineData(null, "a GLOBAL name without its newline")]
    public void A_global_name_that_is_no_python_name_is_refused(string? name, string phrase) =>
        RefusedPickle(new PickleWriter().Proto().Global("torch", name ?? new string('x', 300)).Stop(), phrase);

    [Theory]
    [InlineData((byte)'i', "0x69")] // INST: module and name as lines, then a call
    [InlineData((byte)'o', "0x6F")] // OBJ
    [InlineData(0x81, "0x81")]      // NEWOBJ
    [InlineData(0x92, "0x92")]      // NEWOBJ_EX
    [InlineData((byte)']', "0x5D")] // EMPTY_LIST: no list in a state dict
    [InlineData((byte)'S', "0x53")] // STRING (protocol 0)
    [InlineData((byte)'P', "0x50")] // PERSID (text form)
    public void An_opcode_a_state_dict_is_not_written_with_is_refused(byte opcode, string name) =>
        RefusedPickle(new PickleWriter().Proto().Mark().Raw(opcode).Raw(Encoding.ASCII.GetBytes("os\nsystem\n")).Stop(),
            $"opcode {name} is not one a state dict is written with");

    [Fact]
    public void Calling_an_allowed_global_that_is_not_a_function_is_refused() =>
        RefusedPickle(new PickleWriter().Proto().Global("torch", "FloatStorage").EmptyTuple().Reduce().Stop(),
            "REDUCE calls torch.FloatStorage");

    [Fact]
    public void Build_on_anything_but_a_dict_is_refused() =>
        RefusedPickle(new PickleWriter().Proto().Global("torch", "FloatStorage").EmptyDict().Op('b').Stop(), "BUILD of torch.FloatStorage");

    [Fact]
    public void Rebuild_with_backward_hooks_or_odd_arguments_is_refused()
    {
        byte[] Tensor(Action<PickleWriter> hooks)
        {
            var p = new PickleWriter().Proto().EmptyDict().Text("0.weight").Global("torch._utils", "_rebuild_tensor_v2")
                .Mark().Mark().Text("storage").Global("torch", "FloatStorage").Text("0").Text("cpu").Int(1).Tuple().Op('Q')
                .Int(0).Ints(1).Ints(1).False();
            hooks(p);
            return p.Tuple().Reduce().Op('s').Stop().ToArray();
        }
        string path = _directory.File("hooks.pt");
        TorchFiles.WriteZip(path, Tensor(p => p.Global("collections", "OrderedDict").EmptyTuple().Reduce().Text("hook").Int(1).Op('s')), [("0", new byte[4])]);
        StateDictFixtures.AssertRefused(Net(), path, null, "_rebuild_tensor_v2 with backward hooks");
        TorchFiles.WriteZip(path, Tensor(p => p.Int(5)), [("0", new byte[4])]);
        StateDictFixtures.AssertRefused(Net(), path, null, "_rebuild_tensor_v2 with backward hooks");
    }

    [Fact]
    public void A_persistent_id_that_is_not_a_storage_is_refused() =>
        RefusedPickle(new PickleWriter().Proto().Mark().Text("module").Text("x").Tuple().Op('Q').Stop(), "persistent id a tuple of 2");

    [Fact]
    public void A_checkpoint_holding_a_state_dict_is_refused_with_advice()
    {
        var pickle = new PickleWriter().Proto().EmptyDict().Text("model").EmptyDict().Op('s').Stop();
        RefusedPickle(pickle, "entry 'model' is a dict, not a tensor", "save the state dict itself");
    }

    [Theory]
    [InlineData("truncated", "ends in the middle of an opcode")]
    [InlineData("memo", "memo entry 7 is read before it is written")]
    [InlineData("two values", "STOP with a stack that does not hold exactly one value")]
    [InlineData("mark", "needs a MARK but there is none")]
    [InlineData("long", "an integer of 9 bytes")]
    [InlineData("utf8", "a string is not UTF-8")]
    [InlineData("protocol", "the pickle protocol is not 2 to 5")]
    [InlineData("key", "a dictionary key is the value 3, not a string")]
    [InlineData("duplicate", "key 'a' is set twice")]
    [InlineData("list", "the pickle holds the value 1, not a state dict")]
    public void A_malformed_pickle_is_refused(string kind, string phrase)
    {
        PickleWriter pickle = kind switch
        {
            "truncated" => new PickleWriter().Proto().EmptyDict().Raw((byte)'X', 200, 0),
            "memo" => new PickleWriter().Proto().Get(7).Stop(),
            "two values" => new PickleWriter().Proto().EmptyDict().EmptyDict().Stop(),
            "mark" => new PickleWriter().Proto().EmptyDict().Tuple().Stop(),
            "long" => new PickleWriter().Proto().Raw(0x8A, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9).Stop(),
            "utf8" => new PickleWriter().Proto().Raw(0x8C, 2, 0xC3, 0x28).Stop(),
            "protocol" => new PickleWriter().Proto(6).EmptyDict().Stop(),
            "key" => new PickleWriter().Proto().EmptyDict().Int(3).Int(4).Op('s').Stop(),
            "duplicate" => new PickleWriter().Proto().EmptyDict().Mark().Text("a").Int(1).Text("a").Int(2).SetItems().Stop(),
            _ => new PickleWriter().Proto().Int(1).Stop(),
        };
        RefusedPickle(pickle, phrase);
    }

    // ------------------------------------------------------------------ tensor metadata

    [Fact]
    public void An_integer_tensor_where_a_weight_belongs_is_refused_by_dtype()
    {
        List<TorchTensor> tensors = MlpTensors();
        tensors[0] = tensors[0] with { StorageClass = "LongStorage", ElementSize = 8, RawBytes = new byte[8 * 16 * 12] };
        string path = _directory.File("int64.pt");
        TorchFiles.WriteStateDict(path, tensors);
        StateDictFixtures.AssertRefused(Net(), path, null, "'0.weight' is int64; only float32, float64, float16 and bfloat16 tensors load");
    }

    [Fact]
    public void A_transposed_view_is_refused_as_not_contiguous()
    {
        List<TorchTensor> tensors = MlpTensors();
        tensors[0] = tensors[0] with { Stride = [1, 16] }; // what weight.t() of a [12, 16] tensor saves
        string path = _directory.File("strided.pt");
        TorchFiles.WriteStateDict(path, tensors);
        StateDictFixtures.AssertRefused(Net(), path, null, "tensor '0.weight' has strides [1, 16] for size [16, 12]", "contiguous");
    }

    [Fact]
    public void Any_stride_of_a_dimension_of_size_one_is_contiguous()
    {
        var source = new StateDictSingleOutput(maxBatchSize: 1, seed: 1);
        List<TorchTensor> tensors = TorchFiles.FromNetwork(source, ["fc"]);
        tensors[0] = tensors[0] with { Stride = [77, 1] }; // [1, 3]
        AssertLoadsAs(source, tensors);
    }

    [Theory]
    [InlineData(0L, 16 * 12 - 1L, "its zip entry has 768 bytes")] // the storage claims fewer values than its entry holds
    [InlineData(1L, null, "runs past the end of its storage '0' of 192")]
    [InlineData(-1L, null, "storage offset the value -1")]
    public void A_tensor_outside_its_storage_is_refused(long offset, long? storageCount, string phrase)
    {
        List<TorchTensor> tensors = MlpTensors();
        tensors[0] = tensors[0] with { Offset = offset, StorageCount = storageCount };
        string path = _directory.File("range.pt");
        TorchFiles.WriteStateDict(path, tensors);
        StateDictFixtures.AssertRefused(Net(), path, null, phrase);
    }

    [Fact]
    public void A_storage_missing_from_the_zip_is_refused()
    {
        List<TorchTensor> tensors = MlpTensors();
        string path = _directory.File("missing.pt");
        TorchFiles.WriteZip(path, TorchFiles.StateDictPickle(tensors), tensors.Skip(1).Select((t, i) => ((i + 1).ToString(), t.Bytes)));
        StateDictFixtures.AssertRefused(Net(), path, null, "tensor '0.weight' is in storage '0', but the zip has no archive/data/0");
    }

    [Fact]
    public void Views_of_one_storage_load_from_their_offsets()
    {
        StateDictMlp source = Net(31);
        List<TorchTensor> tensors = TorchFiles.FromNetwork(source, ["0", "3", "6"]);
        // Every tensor a view of one storage holding them all, one after the other.
        float[] all = tensors.SelectMany(t => t.Values).ToArray();
        long offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            tensors[i] = tensors[i] with { StorageKey = "shared", Offset = offset, RawBytes = all.SelectMany(BitConverter.GetBytes).ToArray() };
            offset += tensors[i].Values.Length;
        }
        AssertLoadsAs(source, tensors);
    }

    [Theory]
    [InlineData("HalfStorage")]
    [InlineData("BFloat16Storage")]
    [InlineData("DoubleStorage")]
    public void Half_bfloat16_and_double_tensors_are_converted(string storageClass)
    {
        StateDictMlp source = Net(41);
        // Values every type holds exactly, so the conversion must give them back bit for bit.
        for (int i = 0; i < source.Parameters.Length; i++) source.Parameters[i] = (i % 17 - 8) * 0.125f;
        List<TorchTensor> tensors = TorchFiles.FromNetwork(source, ["0", "3", "6"]);
        for (int i = 0; i < tensors.Count; i++)
        {
            float[] v = tensors[i].Values;
            (int size, byte[] bytes) = storageClass switch
            {
                "HalfStorage" => (2, v.SelectMany(x => BitConverter.GetBytes((Half)x)).ToArray()),
                "BFloat16Storage" => (2, v.SelectMany(x => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(x) >> 16))).ToArray()),
                _ => (8, v.SelectMany(x => BitConverter.GetBytes((double)x)).ToArray()),
            };
            tensors[i] = tensors[i] with { StorageClass = storageClass, ElementSize = size, RawBytes = bytes };
        }
        AssertLoadsAs(source, tensors);
    }

    [Theory]
    [InlineData("little")]
    [InlineData("big")]
    public void The_byteorder_record_is_obeyed(string order)
    {
        StateDictMlp source = Net(51);
        List<TorchTensor> tensors = TorchFiles.FromNetwork(source, ["0", "3", "6"]);
        if (order == "big")
        {
            for (int i = 0; i < tensors.Count; i++)
                tensors[i] = tensors[i] with { RawBytes = tensors[i].Values.SelectMany(v => BitConverter.GetBytes(v).Reverse()).ToArray() };
        }
        string path = AssertLoadsAs(source, tensors, order);

        TorchFiles.WriteStateDict(path, tensors, byteorder: "middle");
        StateDictFixtures.AssertRefused(Net(), path, null, "its byteorder record says 'middle'");
    }

    // ------------------------------------------------------------------ damaged or other files

    [Fact]
    public void A_flipped_bit_in_a_storage_fails_its_crc()
    {
        byte[] file = File.ReadAllBytes(StateDictFixtures.File("mlp.pt"));
        byte[] weights = File.ReadAllBytes(StateDictFixtures.File("mlp.safetensors"))[^16..]; // the last bias's bytes
        int at = file.AsSpan().IndexOf(weights);
        Assert.True(at > 0);
        file[at + 5] ^= 0x10;
        Refused("flipped.pt", file, "zip entry mlp/data/5 fails its CRC-32 check");
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.98)]
    public void A_truncated_pt_file_is_refused(double fraction)
    {
        byte[] file = File.ReadAllBytes(StateDictFixtures.File("cnn.pt"));
        Refused("truncated.pt", file[..(int)(file.Length * fraction)], "cannot load this PyTorch state dict");
    }

    [Fact]
    public void A_zip_that_is_not_a_torch_save_file_is_refused()
    {
        string path = _directory.File("other.zip");
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt");
        StateDictFixtures.AssertRefused(Net(), path, null, "the zip has no {name}/data.pkl");

        TorchFiles.WriteZip(path, TorchFiles.StateDictPickle(MlpTensors()), []);
        using (var zip = new ZipArchive(File.Open(path, FileMode.Open), ZipArchiveMode.Update))
            zip.CreateEntry("second/data.pkl");
        StateDictFixtures.AssertRefused(Net(), path, null, "two pickles");
    }

    [Fact]
    public void The_legacy_format_is_refused_with_how_to_resave()
    {
        // What torch.save(..., _use_new_zipfile_serialization=False) starts with: the magic number 0x1950a86a20f9469cfc6c.
        byte[] legacy = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E, 0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E];
        Refused("legacy.pt", legacy, "legacy format", "_use_new_zipfile_serialization=True");
        Refused("bare.pkl", new PickleWriter().Proto(4).Raw(0x95, 2, 0, 0, 0, 0, 0, 0, 0).EmptyDict().Stop().ToArray(), "a bare pickle");
    }

    [Theory]
    [InlineData(new byte[0], "fewer than the 8-byte header length")]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', (byte)' ', (byte)'w', (byte)'o', (byte)'r', (byte)'l', (byte)'d' }, "header length")]
    public void A_file_of_no_known_format_is_refused(byte[] file, string phrase) => Refused("unknown.bin", file, phrase);

    // ------------------------------------------------------------------ safetensors headers

    /// <summary>An MLP safetensors file whose header is the given JSON (the data section of the real file).</summary>
    private byte[] SafeTensorsWith(Func<string, string> editHeader, int dataBytes = -1)
    {
        byte[] file = File.ReadAllBytes(StateDictFixtures.File("mlp.safetensors"));
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = editHeader(Encoding.UTF8.GetString(file, 8, length).TrimEnd());
        byte[] data = file[(8 + length)..];
        if (dataBytes >= 0) data = data[..dataBytes];
        byte[] json = Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        data.CopyTo(result, 8 + json.Length);
        return result;
    }

    [Theory]
    [InlineData("\"F32\"", "\"I64\"", "spans 768 bytes, but 192 I64 values need 1536")]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"F8_E4M3\"", "dtype F8_E4M3, which cannot be loaded")]
    [InlineData("\"shape\":[16,12]", "\"shape\":[16,-12]", "has -12 in 'shape'")]
    [InlineData("\"shape\":[16,12]", "\"shape\":[16,12.5]", "has 12.5 in 'shape'")]
    [InlineData("\"data_offsets\":[0,768]", "\"data_offsets\":[0,99999]", "outside the 1688-byte data section")]
    [InlineData("\"data_offsets\":[0,768]", "\"data_offsets\":[4,772]", "a hole of 4 bytes before tensor '0.weight'")]
    [InlineData("{\"0.weight\"", "{\"__metadata__\":{\"a\":1},\"0.weight\"", "__metadata__ value 'a' is not a string")]
    [InlineData("{\"0.weight\"", "[{\"0.weight\"", "not valid JSON")]
    [InlineData("{\"0.weight\"", "{\"0.bias\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[768,832]},\"0.weight\"", "'0.bias' appears twice")]
    public void A_damaged_safetensors_header_is_refused(string find, string replace, string phrase)
    {
        byte[] file = SafeTensorsWith(h =>
        {
            Assert.Contains(find, h);
            int at = h.IndexOf(find, StringComparison.Ordinal);
            return h[..at] + replace + h[(at + find.Length)..];
        });
        Refused("damaged.safetensors", file, phrase);
    }

    [Fact]
    public void Overlapping_safetensors_tensors_are_refused()
    {
        byte[] file = SafeTensorsWith(h => h.Replace("\"data_offsets\":[768,832]", "\"data_offsets\":[704,768]"));
        Refused("overlap.safetensors", file, "overlaps the tensor before it");
    }

    [Fact]
    public void A_truncated_safetensors_data_section_is_refused() =>
        Refused("short.safetensors", SafeTensorsWith(h => h, dataBytes: 1000), "outside the 1000-byte data section");
}
