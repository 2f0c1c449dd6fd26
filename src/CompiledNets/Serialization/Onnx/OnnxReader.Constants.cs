using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CompiledNets.Serialization.OnnxProto;
using DataType = CompiledNets.Serialization.OnnxProto.TensorProto.Types.DataType;

namespace CompiledNets.Serialization;

/// <summary>
/// Folding of the small integer subgraphs exporters write for shapes and pads (torch.onnx.export turns
/// <c>x.view(x.size(0), -1)</c> into Shape → Gather → Unsqueeze → Concat, and <c>F.pad</c> into ConstantOfShape →
/// Concat → Reshape → Slice → Transpose → Reshape → Cast). Values are 64-bit integers; an element may instead be the
/// batch size, which is unknown here and only ever moved (Shape of a value on the chain), never computed with.
/// </summary>
internal sealed partial class OnnxReader
{
    /// <summary>The most elements a folded tensor may have: shapes and pads are tiny, anything larger is not one.</summary>
    private const int MaxFoldedElements = 4096;

    private const int MaxFoldDepth = 64;

    private readonly Dictionary<string, IntTensor> _folded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _folding = new(StringComparer.Ordinal);

    /// <summary>
    /// An integer tensor of ONNX element type <see cref="Type"/> (int64, int32 or bool); <see cref="Batch"/>[i] marks an
    /// element that is the (symbolic) batch size.
    /// </summary>
    internal sealed class IntTensor(long[] values, bool[] batch, int[] dims, int type)
    {
        public long[] Values { get; } = values;
        public bool[] Batch { get; } = batch;
        public int[] Dims { get; } = dims;
        public int Type { get; } = type;

        public static IntTensor Of(long[] values, int[] dims, int type) => new(values, new bool[values.Length], dims, type);

        /// <summary>The values, which must not include the batch size, of one of <paramref name="types"/> (int64 when none is given).</summary>
        public long[] Plain(string what, OnnxReader reader, params DataType[] types)
        {
            if (!(types.Length == 0 ? Type == (int)DataType.Int64 : types.Any(t => (int)t == Type)))
                throw reader.Mismatch($"{what} are {TypeName(Type)}; ONNX wants {(types.Length == 0 ? "int64" : string.Join(" or ", types.Select(t => TypeName((int)t))))}");
            return Batch.Any(b => b) ? throw reader.Mismatch($"{what} depend on the batch size ([{Describe()}])") : Values;
        }

        /// <summary>As <see cref="Plain"/>, of a 1-D tensor (ONNX's form of shapes, pads, axes, starts, ends and steps).</summary>
        public long[] Vector(string what, OnnxReader reader, params DataType[] types) =>
            Dims.Length == 1 ? Plain(what, reader, types) : throw reader.Mismatch($"{what} have shape [{OnnxArchitecture.Join(Dims)}]; ONNX wants a 1-D tensor");

        public string Describe() =>
            string.Join(", ", Values.Select((v, i) => Batch[i] ? "batch" : v.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        /// <summary>Elements picked by flat source index.</summary>
        public IntTensor Gather(int[] sources, int[] dims) =>
            new(sources.Select(s => Values[s]).ToArray(), sources.Select(s => Batch[s]).ToArray(), dims, Type);
    }

    /// <summary>The value of <paramref name="name"/>, an integer tensor that is given or computable without any input data.</summary>
    private IntTensor EvaluateInts(string name, int depth = 0)
    {
        if (_folded.TryGetValue(name, out IntTensor? known))
            return known;
        if (depth > MaxFoldDepth)
            throw Mismatch($"'{name}' is computed by more than {MaxFoldDepth} nodes in a row; CompiledNets folds only small shape computations");
        IntTensor result;
        if (_initializers.TryGetValue(name, out TensorProto? initializer))
        {
            result = FromTensor(new ConstantTensor(initializer, $"initializer '{name}'"));
        }
        else if (_producers.TryGetValue(name, out int index))
        {
            if (!_folding.Add(name))
                throw Malformed($"'{name}' depends on itself: the graph has a cycle");
            result = Fold(index, name, depth + 1);
            _folding.Remove(name);
            _used[index] = true;
        }
        else
        {
            throw Malformed($"'{name}' is neither an initializer nor written by any node");
        }
        if (result.Values.Length > MaxFoldedElements)
            throw Mismatch($"'{name}' has {result.Values.Length} elements; CompiledNets folds only shapes and pads of up to {MaxFoldedElements}");
        _folded[name] = result;
        return result;
    }

    private IntTensor Fold(int index, string name, int depth)
    {
        NodeProto node = _graph.Node[index];
        IntTensor In(int i) =>
            i < node.Input.Count && node.Input[i].Length > 0
                ? EvaluateInts(node.Input[i], depth)
                : throw Mismatch($"{Node(index)} has no input {i}");
        IntTensor? Optional(int i) => i < node.Input.Count && node.Input[i].Length > 0 ? EvaluateInts(node.Input[i], depth) : null;
        if (node.Output[0] != name)
            throw Mismatch($"{Node(index)} writes '{name}' as its output {node.Output.IndexOf(name)}; CompiledNets folds first outputs only");

        switch (node.OpType)
        {
            case "Constant":
                return FromTensor(Constant(name)!);
            case "Identity":
                Take(index, inputs: 1);
                return In(0);
            case "Cast":
            {
                Take(index, inputs: 1, _opset >= 19 ? ["to", "saturate"] : ["to"]);
                long to = Int(index, "to", 0);
                IntTensor x = In(0);
                if (to == (long)DataType.Int64) return new IntTensor(x.Values, x.Batch, x.Dims, (int)DataType.Int64);
                if (to == (long)DataType.Int32)
                    return new IntTensor(x.Values.Select(v => (long)unchecked((int)v)).ToArray(), x.Batch, x.Dims, (int)DataType.Int32);
                throw Mismatch($"{Node(index)} casts '{node.Input[0]}' to {TypeName((int)to)}; CompiledNets folds integer shapes only");
            }
            case "Shape":
            {
                Take(index, inputs: 1, _opset >= 15 ? ["start", "end"] : []);
                string of = node.Input.Count == 1 ? node.Input[0] : "";
                if (!_forms.TryGetValue(of, out int[]? form))
                    throw Mismatch($"{Node(index)} takes the shape of '{of}', which is not a value on the network's path before it");
                long[] all = [0, .. form.Select(d => (long)d)];
                bool[] batch = [true, .. new bool[form.Length]];
                int rank = all.Length;
                long start = Clamp(Int(index, "start", 0), rank), end = Clamp(Int(index, "end", rank), rank);
                int length = (int)Math.Max(0, end - start);
                return new IntTensor(all.Skip((int)start).Take(length).ToArray(), batch.Skip((int)start).Take(length).ToArray(), [length], (int)DataType.Int64);

                static long Clamp(long axis, int rank) => Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);
            }
            case "Gather":
            {
                Take(index, inputs: 2, "axis");
                IntTensor data = In(0);
                long[] indices = In(1).Plain($"the indices of {Node(index)}", this, DataType.Int32, DataType.Int64);
                long axis = Int(index, "axis", 0);
                if (data.Dims.Length != 1 || axis is not (0 or -1))
                    throw Mismatch($"{Node(index)} gathers on axis {axis} of a tensor of rank {data.Dims.Length}; CompiledNets folds Gather of a 1-D tensor only");
                int[] sources = new int[indices.Length];
                for (int i = 0; i < indices.Length; i++)
                {
                    long at = indices[i] < 0 ? indices[i] + data.Values.Length : indices[i];
                    if (at < 0 || at >= data.Values.Length)
                        throw Mismatch($"{Node(index)} gathers index {indices[i]} of a tensor of {data.Values.Length} elements");
                    sources[i] = (int)at;
                }
                return data.Gather(sources, In(1).Dims);
            }
            case "Unsqueeze":
            case "Squeeze":
            {
                // Before opset 13 the axes are an attribute, from 13 on an input.
                if (_opset >= 13) Take(index, inputs: 2);
                else Take(index, inputs: 1, "axes");
                IntTensor data = In(0);
                long[]? axes = Ints(index, "axes") ?? Optional(1)?.Vector($"the axes of {Node(index)}", this);
                bool unsqueeze = node.OpType == "Unsqueeze";
                if (unsqueeze && axes is null)
                    throw Mismatch($"{Node(index)} has no axes");
                int rank = data.Dims.Length + (unsqueeze ? axes!.Length : 0);
                var normalized = new HashSet<long>();
                foreach (long axis in axes ?? [])
                {
                    long at = axis < 0 ? axis + rank : axis;
                    if (at < 0 || at >= rank || !normalized.Add(at) || (!unsqueeze && data.Dims[at] != 1))
                        throw Mismatch($"{Node(index)} has axes [{OnnxArchitecture.Join(axes!)}], which do not fit a tensor of shape [{OnnxArchitecture.Join(data.Dims)}]");
                }
                List<int> dims;
                if (unsqueeze)
                {
                    dims = [];
                    var rest = new Queue<int>(data.Dims);
                    for (int d = 0; d < rank; d++) dims.Add(normalized.Contains(d) ? 1 : rest.Dequeue());
                }
                else
                {
                    dims = data.Dims.Where((d, i) => axes is null ? d != 1 : !normalized.Contains(i)).ToList();
                }
                return new IntTensor(data.Values, data.Batch, [.. dims], data.Type);
            }
            case "Concat":
            {
                Take(index, inputs: int.MaxValue, "axis");
                if (node.Input.Count == 0)
                    throw Mismatch($"{Node(index)} has no inputs");
                IntTensor[] parts = Enumerable.Range(0, node.Input.Count).Select(In).ToArray();
                if (parts.Any(p => p.Type != parts[0].Type))
                    throw Mismatch($"{Node(index)} concatenates {string.Join(" and ", parts.Select(p => TypeName(p.Type)).Distinct())} tensors");
                int rank = parts[0].Dims.Length;
                long axis = Int(index, "axis", long.MinValue);
                axis = axis < 0 ? axis + rank : axis;
                if (rank == 0 || axis < 0 || axis >= rank
                    || parts.Any(p => p.Dims.Length != rank || p.Dims.Where((d, i) => i != axis && d != parts[0].Dims[i]).Any()))
                    throw Mismatch($"{Node(index)} concatenates tensors of shapes {string.Join(", ", parts.Select(p => $"[{OnnxArchitecture.Join(p.Dims)}]"))} on axis {Int(index, "axis", 0)}");
                int[] dims = [.. parts[0].Dims];
                dims[axis] = parts.Sum(p => p.Dims[axis]);
                CheckSize(index, dims);
                int outer = Product(dims.AsSpan(0, (int)axis));
                var values = new List<long>();
                var batch = new List<bool>();
                for (int o = 0; o < outer; o++)
                {
                    foreach (IntTensor part in parts)
                    {
                        int block = Product(part.Dims.AsSpan((int)axis));
                        values.AddRange(part.Values.AsSpan(o * block, block).ToArray());
                        batch.AddRange(part.Batch.AsSpan(o * block, block).ToArray());
                    }
                }
                return new IntTensor([.. values], [.. batch], dims, parts[0].Type);
            }
            case "Reshape":
            {
                Take(index, inputs: 2, ReshapeAttributes);
                IntTensor data = In(0);
                long[] shape = In(1).Vector($"the shape of {Node(index)}", this);
                bool allowZero = Int(index, "allowzero", 0) != 0;
                int[] dims = new int[shape.Length];
                int inferred = -1;
                long known = 1;
                for (int i = 0; i < shape.Length; i++)
                {
                    long value = shape[i] == 0 && !allowZero ? (i < data.Dims.Length ? data.Dims[i] : -2) : shape[i];
                    if (value == -1 && inferred < 0) { inferred = i; continue; }
                    if (value < 0 || value > MaxFoldedElements)
                        throw Mismatch($"{Node(index)} reshapes [{OnnxArchitecture.Join(data.Dims)}] to [{OnnxArchitecture.Join(shape)}]");
                    dims[i] = (int)value;
                    known *= value;
                    if (known > MaxFoldedElements)
                        throw Mismatch($"{Node(index)} reshapes [{OnnxArchitecture.Join(data.Dims)}] to [{OnnxArchitecture.Join(shape)}]");
                }
                if (inferred >= 0)
                {
                    if (known == 0 || data.Values.Length % known != 0)
                        throw Mismatch($"{Node(index)} reshapes [{OnnxArchitecture.Join(data.Dims)}] to [{OnnxArchitecture.Join(shape)}]");
                    dims[inferred] = (int)(data.Values.Length / known);
                    known *= dims[inferred];
                }
                if (known != data.Values.Length)
                    throw Mismatch($"{Node(index)} reshapes [{OnnxArchitecture.Join(data.Dims)}] to [{OnnxArchitecture.Join(shape)}]");
                return new IntTensor(data.Values, data.Batch, dims, data.Type);
            }
            case "Transpose":
            {
                Take(index, inputs: 1, "perm");
                IntTensor data = In(0);
                int rank = data.Dims.Length;
                long[] perm = Ints(index, "perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
                if (perm.Length != rank || perm.Any(p => p < 0 || p >= rank) || perm.Distinct().Count() != rank)
                    throw Mismatch($"{Node(index)} permutes [{OnnxArchitecture.Join(data.Dims)}] by [{OnnxArchitecture.Join(perm)}]");
                int[] dims = perm.Select(p => data.Dims[p]).ToArray();
                int[] strides = Strides(data.Dims);
                return data.Gather(Map(dims, position => perm.Select((p, i) => position[i] * strides[p]).Sum()), dims);
            }
            case "Slice":
            {
                Take(index, inputs: 5);
                IntTensor data = In(0);
                long[] starts = In(1).Vector($"the starts of {Node(index)}", this, DataType.Int32, DataType.Int64);
                long[] ends = In(2).Vector($"the ends of {Node(index)}", this, DataType.Int32, DataType.Int64);
                int rank = data.Dims.Length;
                long[] axes = Optional(3)?.Vector($"the axes of {Node(index)}", this, DataType.Int32, DataType.Int64) ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                long[] steps = Optional(4)?.Vector($"the steps of {Node(index)}", this, DataType.Int32, DataType.Int64) ?? Enumerable.Repeat(1L, starts.Length).ToArray();
                if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length || steps.Any(s => s == 0))
                    throw Mismatch($"{Node(index)} slices with starts [{OnnxArchitecture.Join(starts)}], ends [{OnnxArchitecture.Join(ends)}], " +
                                   $"axes [{OnnxArchitecture.Join(axes)}], steps [{OnnxArchitecture.Join(steps)}]");
                long[] first = new long[rank], step = Enumerable.Repeat(1L, rank).ToArray();
                int[] dims = [.. data.Dims];
                var seen = new HashSet<long>();
                for (int i = 0; i < axes.Length; i++)
                {
                    long axis = axes[i] < 0 ? axes[i] + rank : axes[i];
                    if (axis < 0 || axis >= rank || !seen.Add(axis))
                        throw Mismatch($"{Node(index)} slices axis {axes[i]} of a tensor of rank {rank}");
                    long size = data.Dims[axis], s = starts[i], e = ends[i], st = steps[i];
                    if (s < 0) s += size;
                    if (e < 0) e += size;
                    if (st > 0)
                    {
                        s = Math.Clamp(s, 0, size);
                        e = Math.Clamp(e, 0, size);
                        dims[axis] = (int)Math.Max(0, (e - s + st - 1) / st);
                    }
                    else
                    {
                        s = Math.Clamp(s, 0, size - 1);
                        e = Math.Clamp(e, -1, size - 1);
                        dims[axis] = st == long.MinValue ? (s > e ? 1 : 0) : (int)Math.Max(0, (s - e - st - 1) / -st);
                    }
                    first[axis] = s;
                    step[axis] = st;
                }
                int[] strides = Strides(data.Dims);
                return data.Gather(Map(dims, position =>
                {
                    long source = 0;
                    for (int a = 0; a < rank; a++) source += (first[a] + position[a] * step[a]) * strides[a];
                    return (int)source;
                }), dims);
            }
            case "ConstantOfShape":
            {
                Take(index, inputs: 1, "value");
                long[] shape = In(0).Vector($"the shape of {Node(index)}", this);
                long count = 1;
                foreach (long d in shape)
                {
                    if (d < 0 || d > MaxFoldedElements || (count *= d) > MaxFoldedElements)
                        throw Mismatch($"{Node(index)} makes a tensor of shape [{OnnxArchitecture.Join(shape)}]; CompiledNets folds at most {MaxFoldedElements} elements");
                }
                // The value is a one-element 1-D tensor whose type the output takes; without one the output is float32 zeros.
                if (Attribute(index, "value", AttributeProto.Types.AttributeType.Tensor)?.T is not TensorProto value)
                    throw Mismatch($"{Node(index)} makes float32 zeros (it has no value); a shape or pads are integers");
                if (value.DataType == (int)DataType.Float || value.Dims.Count != 1 || value.Dims[0] != 1)
                    throw Mismatch($"{Node(index)} fills with a {TypeName(value.DataType)} tensor of shape [{OnnxArchitecture.Join(value.Dims)}]; " +
                                   "CompiledNets folds integer fills given as a one-element 1-D tensor");
                IntTensor fills = FromTensor(new ConstantTensor(value, $"the value of {Node(index)}"));
                long fill = fills.Values[0];
                return IntTensor.Of(Enumerable.Repeat(fill, (int)count).ToArray(), shape.Select(d => (int)d).ToArray(), fills.Type);
            }
            default:
                throw Mismatch($"{Node(index)} computes '{name}', which must be a constant there; CompiledNets does not fold {node.OpType}");
        }
    }

    /// <summary>An integer tensor given in the file: int64, int32 or bool, raw or typed.</summary>
    private IntTensor FromTensor(ConstantTensor constant)
    {
        TensorProto tensor = constant.Tensor;
        int[] dims = new int[tensor.Dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            long d = tensor.Dims[i];
            if (d < 0 || d > MaxFoldedElements || (count *= d) > MaxFoldedElements)
                throw Mismatch($"{constant.What} has shape [{OnnxArchitecture.Join(tensor.Dims)}]; CompiledNets reads integer constants of up to {MaxFoldedElements} elements");
            dims[i] = (int)d;
        }
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.Segment is not null)
            throw Mismatch($"{constant.What} keeps its values outside the tensor, which CompiledNets does not read");
        int width = tensor.DataType switch
        {
            (int)DataType.Int64 => 8,
            (int)DataType.Int32 => 4,
            (int)DataType.Bool => 1,
            _ => throw Mismatch($"{constant.What} holds {TypeName(tensor.DataType)} values where an integer tensor (a shape, pads, axes) is expected"),
        };
        var values = new long[count];
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        bool hasRaw = tensor.HasRawData;
        int typed = width == 8 ? tensor.Int64Data.Count : tensor.Int32Data.Count;
        if (hasRaw ? raw.Length != count * width || typed > 0 : typed != count)
            throw Malformed($"{constant.What} has {(hasRaw ? $"{raw.Length} bytes of raw_data" : $"{typed} values")} for shape " +
                            $"[{OnnxArchitecture.Join(tensor.Dims)}] of {TypeName(tensor.DataType)}");
        for (int i = 0; i < count; i++)
        {
            values[i] = hasRaw
                ? width switch
                {
                    8 => BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]),
                    4 => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                    _ => raw[i],
                }
                : width == 8 ? tensor.Int64Data[i] : tensor.Int32Data[i];
        }
        return IntTensor.Of(values, dims, tensor.DataType);
    }

    private void CheckSize(int index, int[] dims)
    {
        long count = 1;
        foreach (int d in dims)
            if ((count *= d) > MaxFoldedElements)
                throw Mismatch($"{Node(index)} makes a tensor of shape [{OnnxArchitecture.Join(dims)}]; CompiledNets folds at most {MaxFoldedElements} elements");
    }

    private static int Product(ReadOnlySpan<int> dims)
    {
        int product = 1;
        foreach (int d in dims) product *= d;
        return product;
    }

    private static int[] Strides(int[] dims)
    {
        int[] strides = new int[dims.Length];
        int stride = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= dims[i];
        }
        return strides;
    }

    /// <summary>For every position of a tensor of <paramref name="dims"/> in row-major order, the source index <paramref name="source"/> gives.</summary>
    private static int[] Map(int[] dims, Func<int[], int> source)
    {
        int count = Product(dims);
        int[] result = new int[count];
        int[] position = new int[dims.Length];
        for (int i = 0; i < count; i++)
        {
            result[i] = source(position);
            for (int a = dims.Length - 1; a >= 0; a--)
            {
                if (++position[a] < dims[a]) break;
                position[a] = 0;
            }
        }
        return result;
    }
}
