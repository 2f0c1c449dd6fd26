using System;
using System.Collections.Generic;

namespace CompiledNets.Interop;

/// <summary>
/// One tensor of a state dict as its file describes it, before any of its data is read: key, element type, shape and
/// where its elements lie (contiguous, row-major, already checked to fit inside the file's data).
/// </summary>
internal sealed class StateDictTensor(string key, TensorDType dtype, long[] shape, string location, long byteOffset)
{
    /// <summary>Its key in the state dict, e.g. <c>fc1.weight</c>.</summary>
    public string Key { get; } = key;

    public TensorDType DType { get; } = dtype;

    public IReadOnlyList<long> Shape { get; } = shape;

    /// <summary>Its element count (the product of <see cref="Shape"/>; the readers check it does not overflow).</summary>
    public long Count { get; } = Product(shape);

    /// <summary>Where its bytes are: the zip entry of its storage, or the safetensors data section.</summary>
    public string Location { get; } = location;

    /// <summary>Its first byte, counted from the start of <see cref="Location"/>.</summary>
    public long ByteOffset { get; } = byteOffset;

    public long ByteLength => Count * DType.Size();

    public string ShapeText => Format(Shape);

    public static string Format(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    public static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The product of <paramref name="shape"/>, or -1 when a dimension is negative or the product passes 2^53.</summary>
    public static long Product(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long dimension in shape)
        {
            if (dimension < 0) return -1;
            if (dimension != 0 && count > (1L << 53) / dimension) return -1;
            count *= dimension;
        }
        return count;
    }
}

/// <summary>
/// Where a tensor's elements go: a slice of a temporary parameter array, either in the file's order or, for a Linear
/// weight ([out, in] in PyTorch, [in, out] here), transposed.
/// </summary>
internal sealed class TensorTarget(float[] destination, int offset, int rows, int columns, bool transpose)
{
    /// <summary>Writes the elements that start at row-major index <paramref name="first"/> of the file's tensor.</summary>
    public void Write(long first, ReadOnlySpan<float> values)
    {
        if (!transpose)
        {
            values.CopyTo(destination.AsSpan(offset + (int)first, values.Length));
            return;
        }
        // The file's element (row r, column c) of [rows, columns] goes to (c, r) of [columns, rows].
        int row = (int)(first / columns), column = (int)(first % columns);
        foreach (float value in values)
        {
            destination[offset + column * rows + row] = value;
            if (++column == columns) { column = 0; row++; }
        }
    }
}

/// <summary>One tensor to read: its bytes, where they go, and the file's byte order.</summary>
internal readonly record struct TensorRead(StateDictTensor Tensor, TensorTarget Target, bool BigEndian)
{
    /// <summary>Bytes per chunk handed to <see cref="Feed"/> (a multiple of every element size).</summary>
    public const int ChunkBytes = 16 * 1024;

    /// <summary>
    /// Decodes the tensor's whole elements that lie in <paramref name="chunk"/>, which starts at byte
    /// <paramref name="position"/> of the tensor's <see cref="StateDictTensor.Location"/>. Chunks are read in order and
    /// every chunk but the last is <see cref="ChunkBytes"/> long, so (with element-aligned tensor offsets) no element is
    /// split between two chunks. <paramref name="scratch"/> holds at least ChunkBytes / 2 floats.
    /// </summary>
    public void Feed(ReadOnlySpan<byte> chunk, long position, Span<float> scratch)
    {
        long begin = Math.Max(position, Tensor.ByteOffset);
        long end = Math.Min(position + chunk.Length, Tensor.ByteOffset + Tensor.ByteLength);
        if (begin >= end) return;
        int size = Tensor.DType.Size();
        ReadOnlySpan<byte> bytes = chunk.Slice((int)(begin - position), (int)(end - begin));
        Span<float> values = scratch[..(bytes.Length / size)];
        TensorDTypes.Decode(Tensor.DType, BigEndian, bytes, values);
        Target.Write((begin - Tensor.ByteOffset) / size, values);
    }
}
