using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CompiledNets.Interop;

/// <summary>
/// A restricted reader of the pickle in a <c>torch.save</c> file: it understands the opcodes a state dict is made of
/// (protocols 2 to 5) and builds plain values from them, never Python objects. It calls nothing: the only globals it
/// accepts are <see cref="AllowedGlobals"/>, each interpreted here (an OrderedDict becomes a dictionary, a
/// <c>_rebuild_tensor_v2</c> call a tensor description, a storage class a dtype); any other global, opcode or
/// shape of arguments is an <see cref="InvalidDataException"/> naming the file and the byte it is at.
/// </summary>
/// <remarks>
/// A general unpickler (Razorvine.Pickle was tried) maps unknown globals to dictionaries instead of refusing them, keeps
/// its constructor registry in a process-wide static, and calls <c>__setstate__</c> through reflection, which NativeAOT
/// trims: a real state dict then fails to load in a published app, and the publish warns (IL2104).
/// </remarks>
internal sealed class StateDictPickle
{
    /// <summary>The globals a state dict needs; every other one is refused where it appears.</summary>
    public static readonly IReadOnlyList<string> AllowedGlobals =
    [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
        "torch.BoolStorage", "torch.ComplexFloatStorage", "torch.ComplexDoubleStorage",
    ];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly object Mark = new();

    private readonly byte[] _pickle;
    private readonly string _path;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private readonly Dictionary<string, Storage> _storages = new(StringComparer.Ordinal);
    private int _position;
    private int _opcodeStart;

    private StateDictPickle(byte[] pickle, string path)
    {
        _pickle = pickle;
        _path = path;
    }

    /// <summary>A global the pickle named (only allowed ones are ever made).</summary>
    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => Module + "." + Name;
    }

    /// <summary>A dictionary (dict or OrderedDict) with string keys, in insertion order.</summary>
    private sealed class Dict
    {
        public List<KeyValuePair<string, object?>> Items { get; } = new();
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A storage from a persistent id: <c>('storage', torch.FloatStorage, key, location, numel)</c>.</summary>
    public sealed record Storage(string Key, TensorDType DType, long Count);

    /// <summary>A tensor from <c>_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])</c>.</summary>
    public sealed record Tensor(Storage Storage, long Offset, long[] Shape, long[] Stride);

    /// <summary>
    /// Reads the state dict in <paramref name="pickle"/>: every key with its tensor, in the file's order.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> Read(byte[] pickle, string path)
    {
        var reader = new StateDictPickle(pickle, path);
        object? result = reader.Run();
        if (result is not Dict dict)
            throw reader.Fail($"the pickle holds {Describe(result)}, not a state dict (a dict of tensors)", atOpcode: false);
        var tensors = new List<KeyValuePair<string, Tensor>>(dict.Items.Count);
        foreach (KeyValuePair<string, object?> item in dict.Items)
        {
            if (item.Value is not Tensor tensor)
                throw reader.Fail($"entry '{item.Key}' is {Describe(item.Value)}, not a tensor (is this a checkpoint holding a state dict? save the state dict itself)", atOpcode: false);
            tensors.Add(new KeyValuePair<string, Tensor>(item.Key, tensor));
        }
        return tensors;
    }

    private object? Run()
    {
        while (true)
        {
            _opcodeStart = _position;
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    if (ReadByte() is < 2 or > 5) throw Fail("the pickle protocol is not 2 to 5");
                    break;
                case 0x95: // FRAME: a length hint only
                    Take(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0) throw Fail("STOP with a stack that does not hold exactly one value");
                    return _stack[0];
                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    _stack.Add(Mark);
                    break;
                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;  // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break;                                       // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: Push(ReadLong1()); break;                                                 // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;          // BINFLOAT
                case (byte)'X': Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // BINUNICODE
                case 0x8c: Push(ReadString(ReadByte())); break;                                      // SHORT_BINUNICODE
                case 0x8d: Push(ReadString(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break; // BINUNICODE8
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': Push(PopToMark()); break;            // TUPLE
                case 0x85: Push(PopTuple(1)); break;                 // TUPLE1
                case 0x86: Push(PopTuple(2)); break;                 // TUPLE2
                case 0x87: Push(PopTuple(3)); break;                 // TUPLE3
                case (byte)'}': Push(new Dict()); break;             // EMPTY_DICT
                case (byte)'s': // SETITEM
                {
                    object? value = Pop(), key = Pop();
                    SetItem(Peek(), key, value);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    object?[] items = PopToMark();
                    if (items.Length % 2 != 0) throw Fail("SETITEMS with an odd number of values");
                    object? target = Peek();
                    for (int i = 0; i < items.Length; i += 2) SetItem(target, items[i], items[i + 1]);
                    break;
                }
                case (byte)'q': _memo[ReadByte()] = Peek(); break;                                       // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                                           // MEMOIZE
                case (byte)'h': Push(Recall(ReadByte())); break;                                         // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;   // LONG_BINGET
                case (byte)'c': // GLOBAL
                {
                    string module = ReadLine(), name = ReadLine();
                    Push(MakeGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    object? name = Pop(), module = Pop();
                    if (module is not string m || name is not string n) throw Fail("STACK_GLOBAL of values that are not strings");
                    Push(MakeGlobal(m, n));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    object? arguments = Pop(), callable = Pop();
                    if (arguments is not object?[] tuple) throw Fail($"REDUCE with {Describe(arguments)} as arguments");
                    Push(Call(callable, tuple));
                    break;
                }
                case (byte)'b': // BUILD: only an OrderedDict's attributes (a state dict's _metadata), which are not needed
                {
                    object? state = Pop();
                    if (Peek() is not Dict || state is not Dict) throw Fail($"BUILD of {Describe(Peek())} with {Describe(state)}");
                    break;
                }
                case (byte)'Q': // BINPERSID
                    Push(LoadStorage(Pop()));
                    break;
                default:
                    throw Fail($"opcode 0x{opcode:X2} is not one a state dict is written with");
            }
        }
    }

    private object MakeGlobal(string module, string name)
    {
        string full = module + "." + name;
        foreach (string allowed in AllowedGlobals)
        {
            if (allowed == full) return new Global(module, name);
        }
        throw Fail($"refused: the pickle names the global {full}, which a state dict never needs (allowed: {string.Join(", ", AllowedGlobals)})");
    }

    private object Call(object? callable, object?[] arguments)
    {
        switch (callable)
        {
            case Global { Module: "collections", Name: "OrderedDict" }:
                if (arguments.Length != 0) throw Fail("OrderedDict called with arguments");
                return new Dict();
            case Global { Module: "torch._utils", Name: "_rebuild_tensor_v2" }:
                return RebuildTensor(arguments);
            case Global { Module: "torch._utils", Name: "_rebuild_parameter" }:
                if (arguments.Length != 3 || arguments[0] is not Tensor tensor || arguments[1] is not bool || !IsEmptyDict(arguments[2]))
                    throw Fail("_rebuild_parameter without (tensor, requires_grad, empty hooks)");
                return tensor;
            default:
                throw Fail($"REDUCE calls {Describe(callable)}, which is not a function a state dict uses");
        }
    }

    private Tensor RebuildTensor(object?[] arguments)
    {
        if (arguments.Length is not (6 or 7))
            throw Fail($"_rebuild_tensor_v2 with {arguments.Length} arguments instead of 6 or 7");
        if (arguments[0] is not Storage storage) throw Fail($"_rebuild_tensor_v2 of {Describe(arguments[0])}, not a storage");
        if (arguments[1] is not long offset || offset < 0) throw Fail($"_rebuild_tensor_v2 with storage offset {Describe(arguments[1])}");
        long[] shape = Integers(arguments[2], "size");
        long[] stride = Integers(arguments[3], "stride");
        if (arguments[4] is not bool) throw Fail("_rebuild_tensor_v2 with a requires_grad that is not a bool");
        if (!IsEmptyDict(arguments[5])) throw Fail("_rebuild_tensor_v2 with backward hooks");
        if (arguments.Length == 7 && arguments[6] is not null && !IsEmptyDict(arguments[6]))
            throw Fail("_rebuild_tensor_v2 with tensor metadata (a tensor subclass or attributes)");
        if (shape.Length != stride.Length)
            throw Fail($"a tensor has size {StateDictTensor.Format(shape)} but stride {StateDictTensor.Format(stride)}");
        return new Tensor(storage, offset, shape, stride);
    }

    private long[] Integers(object? value, string what)
    {
        if (value is not object?[] tuple) throw Fail($"_rebuild_tensor_v2 with {Describe(value)} as its {what}");
        var integers = new long[tuple.Length];
        for (int i = 0; i < tuple.Length; i++)
            integers[i] = tuple[i] is long integer ? integer : throw Fail($"_rebuild_tensor_v2 with {Describe(tuple[i])} in its {what}");
        return integers;
    }

    private Storage LoadStorage(object? id)
    {
        if (id is not object?[] { Length: 5 } tuple || tuple[0] is not "storage")
            throw Fail($"persistent id {Describe(id)} is not ('storage', type, key, location, numel)");
        if (tuple[1] is not Global { Module: "torch" } type || !TensorDTypes.TryFromStorageClass(type.Name, out TensorDType dtype))
            throw Fail($"persistent id with {Describe(tuple[1])} as its storage type");
        if (tuple[2] is not string key || key.Length == 0 || key.Contains('/') || tuple[3] is not string || tuple[4] is not long count || count < 0)
            throw Fail("persistent id without a key, a location and an element count");
        if (_storages.TryGetValue(key, out Storage? known))
        {
            if (known.DType != dtype || known.Count != count) throw Fail($"storage '{key}' is described twice, differently");
            return known;
        }
        var storage = new Storage(key, dtype, count);
        _storages[key] = storage;
        return storage;
    }

    private void SetItem(object? target, object? key, object? value)
    {
        if (target is not Dict dict) throw Fail($"SETITEM on {Describe(target)}");
        if (key is not string name) throw Fail($"a dictionary key is {Describe(key)}, not a string");
        if (!dict.Keys.Add(name)) throw Fail($"key '{name}' is set twice");
        dict.Items.Add(new KeyValuePair<string, object?>(name, value));
    }

    private static bool IsEmptyDict(object? value) => value is Dict { Items.Count: 0 };

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Fail($"memo entry {index} is read before it is written");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek()
    {
        if (_stack.Count == 0 || _stack[^1] == Mark) throw Fail("an opcode needs a value but the stack is empty");
        return _stack[^1];
    }

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] PopTuple(int count)
    {
        var items = new object?[count];
        for (int i = count - 1; i >= 0; i--) items[i] = Pop();
        return items;
    }

    private object?[] PopToMark()
    {
        if (_marks.Count == 0) throw Fail("an opcode needs a MARK but there is none");
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        object?[] items = _stack.GetRange(mark + 1, _stack.Count - mark - 1).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte ReadByte() => Take(1)[0];

    private ReadOnlySpan<byte> Take(long count)
    {
        if (count > _pickle.Length - _position) throw Fail("the pickle ends in the middle of an opcode");
        ReadOnlySpan<byte> bytes = _pickle.AsSpan(_position, (int)count);
        _position += (int)count;
        return bytes;
    }

    private long ReadLong1()
    {
        int length = ReadByte();
        if (length > 8) throw Fail($"an integer of {length} bytes");
        ReadOnlySpan<byte> bytes = Take(length);
        long value = 0;
        for (int i = length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0) value -= 1L << (8 * length); // two's complement
        return value;
    }

    private string ReadString(ulong length)
    {
        if (length > (ulong)(_pickle.Length - _position)) throw Fail("the pickle ends inside a string");
        try
        {
            return StrictUtf8.GetString(Take((long)length));
        }
        catch (DecoderFallbackException)
        {
            throw Fail("a string is not UTF-8");
        }
    }

    /// <summary>A GLOBAL argument: printable ASCII up to a newline, at most 256 bytes.</summary>
    private string ReadLine()
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _position, Math.Min(257, _pickle.Length - _position));
        if (end < 0) throw Fail("a GLOBAL name without its newline");
        for (int i = _position; i < end; i++)
        {
            if (_pickle[i] is < 0x20 or > 0x7E) throw Fail("a GLOBAL name that is not printable ASCII");
        }
        string line = Encoding.ASCII.GetString(_pickle, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        long or bool or double => $"the value {value}",
        object?[] tuple => $"a tuple of {tuple.Length}",
        Dict => "a dict",
        Global global => global.ToString(),
        Storage => "a storage",
        Tensor => "a tensor",
        _ => "a value",
    };

    private InvalidDataException Fail(string fault, bool atOpcode = true) =>
        new($"{_path}: cannot load this PyTorch state dict: {fault}{(atOpcode ? $" (data.pkl byte {_opcodeStart})" : "")}.");
}
