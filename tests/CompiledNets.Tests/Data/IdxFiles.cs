using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace CompiledNets.Tests.Data;

/// <summary>Builds small IDX files byte by byte, so tests control every header field and every data byte.</summary>
internal static class IdxFiles
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>An image file: magic, count, rows, columns (big-endian), then <paramref name="pixels"/>.</summary>
    public static byte[] Images(int count, int rows, int columns, byte[] pixels, int magic = 0x00000803) =>
        [.. BigEndian(magic), .. BigEndian(count), .. BigEndian(rows), .. BigEndian(columns), .. pixels];

    /// <summary>A label file: magic, count (big-endian), then <paramref name="labels"/>.</summary>
    public static byte[] Labels(byte[] labels, int? count = null, int magic = 0x00000801) =>
        [.. BigEndian(magic), .. BigEndian(count ?? labels.Length), .. labels];

    /// <summary>Distinct, deterministic pixels covering 0 and 255.</summary>
    public static byte[] Pixels(int count, int rows, int columns, int salt = 0) =>
        Enumerable.Range(0, count * rows * columns).Select(i => (byte)((i * 37 + salt) % 256)).ToArray();

    /// <summary>Labels cycling through 0..9.</summary>
    public static byte[] ClassLabels(int count, int salt = 0) =>
        Enumerable.Range(0, count).Select(i => (byte)((i + salt) % 10)).ToArray();

    public static byte[] Gzip(byte[] data)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(data);
        return compressed.ToArray();
    }

    /// <summary>Writes <paramref name="data"/> as <paramref name="name"/>, or gzipped as <paramref name="name"/>.gz.</summary>
    public static string Write(TempDirectory directory, string name, byte[] data, bool gzip)
    {
        string path = directory.File(gzip ? name + ".gz" : name);
        File.WriteAllBytes(path, gzip ? Gzip(data) : data);
        return path;
    }

    /// <summary>A complete, valid set: 5 training and 3 test images of 4×3 pixels.</summary>
    public static ValidSet WriteValidSet(TempDirectory directory, bool gzip)
    {
        var set = new ValidSet(
            TrainPixels: Pixels(5, 4, 3), TrainLabels: ClassLabels(5),
            TestPixels: Pixels(3, 4, 3, salt: 11), TestLabels: ClassLabels(3, salt: 7));
        Write(directory, TrainImages, Images(5, 4, 3, set.TrainPixels), gzip);
        Write(directory, IdxFiles.TrainLabels, Labels(set.TrainLabels), gzip);
        Write(directory, TestImages, Images(3, 4, 3, set.TestPixels), gzip);
        Write(directory, IdxFiles.TestLabels, Labels(set.TestLabels), gzip);
        return set;
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}

/// <summary>The bytes a <see cref="IdxFiles.WriteValidSet"/> call wrote, to compare what loads against.</summary>
internal sealed record ValidSet(byte[] TrainPixels, byte[] TrainLabels, byte[] TestPixels, byte[] TestLabels);
