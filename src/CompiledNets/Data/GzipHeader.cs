using System;
using System.IO;

namespace CompiledNets;

/// <summary>Reads past a gzip member header (RFC 1952, section 2.3), checking what the IDX reader relies on.</summary>
internal static class GzipHeader
{
    private const byte FlagText = 1, FlagHeaderCrc = 2, FlagExtra = 4, FlagName = 8, FlagComment = 16;

    /// <summary>Returns the offset of the compressed data that follows the header.</summary>
    public static long Skip(Stream file, string path)
    {
        Span<byte> fixedPart = stackalloc byte[10];
        file.Seek(0, SeekOrigin.Begin);
        file.ReadExactly(fixedPart);
        if (fixedPart[0] != 0x1F || fixedPart[1] != 0x8B)
            throw IdxInput.Corrupt(path, $"is not gzip data: starts with 0x{fixedPart[0]:X2} 0x{fixedPart[1]:X2}, expected 0x1F 0x8B");
        if (fixedPart[2] != 8)
            throw IdxInput.Corrupt(path, $"is not valid gzip data: compression method {fixedPart[2]}, expected 8 (deflate)");
        byte flags = fixedPart[3];
        if ((flags & ~(FlagText | FlagHeaderCrc | FlagExtra | FlagName | FlagComment)) != 0)
            throw IdxInput.Corrupt(path, $"is not valid gzip data: reserved header flags are set (0x{flags:X2})");

        if ((flags & FlagExtra) != 0)
        {
            Span<byte> length = stackalloc byte[2];
            ReadOrThrow(file, length, path);
            file.Seek(length[0] | (length[1] << 8), SeekOrigin.Current);
        }
        if ((flags & FlagName) != 0) SkipZeroTerminated(file, path);
        if ((flags & FlagComment) != 0) SkipZeroTerminated(file, path);
        if ((flags & FlagHeaderCrc) != 0) file.Seek(2, SeekOrigin.Current);
        return file.Position;
    }

    private static void SkipZeroTerminated(Stream file, string path)
    {
        int b;
        while ((b = file.ReadByte()) > 0) { }
        if (b < 0) throw IdxInput.Corrupt(path, "is truncated: it ends inside its gzip header");
    }

    private static void ReadOrThrow(Stream file, Span<byte> buffer, string path)
    {
        if (file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw IdxInput.Corrupt(path, "is truncated: it ends inside its gzip header");
    }
}
