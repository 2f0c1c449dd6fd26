using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace CompiledNets.Tests.Aot;

/// <summary>Minimal encoders for the image formats examples/Classify reads, written from the formats' specifications.</summary>
internal static class TestImageFiles
{
    public static byte[] GrayPgm(int width, int height, byte[] gray)
    {
        byte[] header = Encoding.ASCII.GetBytes($"P5\n# written by a CompiledNets test\n{width} {height}\n255\n");
        return [.. header, .. gray];
    }

    /// <summary>8-bit grayscale PNG; rows use the Sub and Up filters alternately so the reader's unfiltering is exercised.</summary>
    public static byte[] GrayPng(int width, int height, byte[] gray)
    {
        var raw = new byte[(width + 1) * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = (byte)(y % 2 == 0 ? 1 : 2); // Sub, Up
            raw[y * (width + 1)] = filter;
            for (int x = 0; x < width; x++)
            {
                int value = gray[y * width + x];
                int predictor = filter == 1 ? (x > 0 ? gray[y * width + x - 1] : 0) : (y > 0 ? gray[(y - 1) * width + x] : 0);
                raw[y * (width + 1) + 1 + x] = (byte)(value - predictor);
            }
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(raw);

        using var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 0; // grayscale
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
