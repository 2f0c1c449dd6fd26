using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace CompiledNets.Examples.Classify;

/// <summary>
/// Reads 8-bit, non-interlaced PNG images (grayscale, gray + alpha, RGB or RGBA) into grayscale bytes, with nothing
/// but the framework's zlib. Colour is reduced to luminance (ITU-R BT.601 weights); alpha is ignored.
/// </summary>
internal static class PngReader
{
    private static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    public static (int Width, int Height, byte[] Gray) ReadGray(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature))
            throw Invalid(path, "does not start with the PNG signature");

        int width = 0, height = 0, channels = 0;
        using var compressed = new MemoryStream();
        int position = 8;
        bool sawHeader = false, sawEnd = false;
        while (!sawEnd)
        {
            if (file.Length - position < 12) throw Invalid(path, "ends before its IEND chunk");
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(position));
            string type = System.Text.Encoding.ASCII.GetString(file, position + 4, 4);
            if (length < 0 || length > file.Length - position - 12) throw Invalid(path, $"has a {type} chunk longer than the file");
            ReadOnlySpan<byte> data = file.AsSpan(position + 8, length);
            switch (type)
            {
                case "IHDR":
                    (width, height, channels) = ReadHeader(data, path);
                    sawHeader = true;
                    break;
                case "IDAT":
                    if (!sawHeader) throw Invalid(path, "has image data before its IHDR header");
                    compressed.Write(data);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
            }
            position += 12 + length; // length, type, data, CRC
        }
        if (!sawHeader) throw Invalid(path, "has no IHDR header");

        int stride = width * channels;
        var raw = new byte[(stride + 1) * height]; // each row is prefixed by its filter type
        compressed.Position = 0;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            zlib.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw Invalid(path, "has image data that does not decompress to " + raw.Length + " bytes");
        }

        byte[] pixels = Unfilter(raw, stride, height, channels, path);
        var gray = new byte[width * height];
        for (int i = 0; i < gray.Length; i++)
        {
            int p = i * channels;
            gray[i] = channels < 3
                ? pixels[p]
                : (byte)Math.Round(0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2]);
        }
        return (width, height, gray);
    }

    private static (int Width, int Height, int Channels) ReadHeader(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length != 13) throw Invalid(path, "has an IHDR chunk of the wrong size");
        int width = BinaryPrimitives.ReadInt32BigEndian(data);
        int height = BinaryPrimitives.ReadInt32BigEndian(data.Slice(4));
        byte bitDepth = data[8], colorType = data[9], interlace = data[12];
        if (width < 1 || height < 1 || (long)width * height > 1 << 24)
            throw Invalid(path, $"claims {width}×{height} pixels");
        if (bitDepth != 8) throw Invalid(path, $"has {bitDepth}-bit samples; only 8-bit images are supported");
        if (interlace != 0) throw Invalid(path, "is interlaced; only non-interlaced images are supported");
        int channels = colorType switch
        {
            0 => 1, // grayscale
            4 => 2, // grayscale + alpha
            2 => 3, // RGB
            6 => 4, // RGBA
            _ => throw Invalid(path, $"has colour type {colorType} (palette images are not supported)"),
        };
        return (width, height, channels);
    }

    /// <summary>Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth).</summary>
    private static byte[] Unfilter(byte[] raw, int stride, int height, int bytesPerPixel, string path)
    {
        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            ReadOnlySpan<byte> source = raw.AsSpan(y * (stride + 1) + 1, stride);
            Span<byte> row = pixels.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> above = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (int x = 0; x < stride; x++)
            {
                int left = x >= bytesPerPixel ? row[x - bytesPerPixel] : 0;
                int up = above[x];
                int upLeft = x >= bytesPerPixel ? above[x - bytesPerPixel] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw Invalid(path, $"uses unknown filter type {filter} on row {y}"),
                };
                row[x] = (byte)(source[x] + predictor);
            }
        }
        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static InvalidDataException Invalid(string path, string fault) => new($"{path}: not a usable PNG image: it {fault}.");
}
