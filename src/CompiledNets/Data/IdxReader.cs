using System;
using System.Buffers.Binary;
using System.IO;

namespace CompiledNets;

/// <summary>Images from an IDX3 file: <see cref="Count"/> × <see cref="Rows"/> × <see cref="Columns"/> bytes, row-major.</summary>
internal sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);

/// <summary>
/// Parses the two IDX layouts MNIST uses (big-endian headers of unsigned-byte data): images with
/// magic 0x00000803 then count, rows, columns; labels with magic 0x00000801 then count.
/// Every inconsistency between the header and the bytes is an <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 0x00000803; // type 0x08 = unsigned byte, 3 dimensions
    public const int LabelsMagic = 0x00000801; // type 0x08 = unsigned byte, 1 dimension

    // Images become a float[] of count × rows × columns values, so that product must fit in one array.
    private static readonly long MaxValues = Array.MaxLength;

    /// <summary>Reads an IDX3 unsigned-byte image file, plain or <c>.gz</c>.</summary>
    public static IdxImages ReadImages(string path)
    {
        using var input = IdxInput.Open(path);
        Span<byte> header = stackalloc byte[16];
        input.ReadHeader(header, "image header");
        CheckMagic(path, header, ImagesMagic, "images: unsigned bytes, 3 dimensions");
        int count = ReadDimension(path, header[4..], "image count");
        int rows = ReadDimension(path, header[8..], "row count");
        int columns = ReadDimension(path, header[12..], "column count");

        long values = CheckedSize(path, count, (long)rows * columns, $"{count} × {rows} × {columns}");
        byte[] pixels = input.ReadBody(values, $"{count} images of {rows}×{columns}");
        return new IdxImages(count, rows, columns, pixels);
    }

    /// <summary>Reads an IDX1 unsigned-byte label file, plain or <c>.gz</c>.</summary>
    public static byte[] ReadLabels(string path)
    {
        using var input = IdxInput.Open(path);
        Span<byte> header = stackalloc byte[8];
        input.ReadHeader(header, "label header");
        CheckMagic(path, header, LabelsMagic, "labels: unsigned bytes, 1 dimension");
        int count = ReadDimension(path, header[4..], "label count");

        long values = CheckedSize(path, count, 1, $"{count}");
        return input.ReadBody(values, $"{count} labels");
    }

    private static void CheckMagic(string path, ReadOnlySpan<byte> header, int expected, string meaning)
    {
        int found = BinaryPrimitives.ReadInt32BigEndian(header);
        if (found != expected)
            throw IdxInput.Corrupt(path, $"has a bad magic number: expected 0x{expected:X8} ({meaning}), found 0x{found:X8}");
    }

    // IDX stores sizes as 32-bit integers; read signed, because a size of 2^31 or more cannot be an array length.
    private static int ReadDimension(string path, ReadOnlySpan<byte> field, string name)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(field);
        if (value <= 0)
            throw IdxInput.Corrupt(path, $"has an invalid {name} in its header: {value} (dimensions must be positive)");
        return value;
    }

    private static long CheckedSize(string path, int count, long perItem, string shape)
    {
        // perItem ≤ 2^62 and count < 2^31: compare before multiplying so the product cannot overflow.
        if (perItem > MaxValues || count > MaxValues / perItem)
            throw IdxInput.Corrupt(path,
                $"has absurd dimensions in its header: {shape} values exceed the supported maximum of {MaxValues}");
        return count * perItem;
    }
}
