using System;
using System.IO;
using System.Linq;

namespace CompiledNets.Tests.Data;

/// <summary>One test per way an IDX file can be wrong: each must be an InvalidDataException naming the file and the fault.</summary>
public class IdxCorruptionTests
{
    private static readonly byte[] Pixels = IdxFiles.Pixels(5, 4, 3);
    private static readonly byte[] Labels = IdxFiles.ClassLabels(5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bad_image_magic_says_expected_and_found(bool gzip) =>
        AssertFault(IdxFiles.TrainImages, IdxFiles.Images(5, 4, 3, Pixels, magic: 0x00000804), gzip,
            "bad magic number", "expected 0x00000803", "found 0x00000804");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Image_file_where_labels_belong_is_a_bad_magic(bool gzip) =>
        AssertFault(IdxFiles.TrainLabels, IdxFiles.Images(5, 4, 3, Pixels), gzip,
            "bad magic number", "expected 0x00000801", "found 0x00000803");

    [Theory]
    [InlineData(0, 4, 3, "image count", "0")]
    [InlineData(5, 0, 3, "row count", "0")]
    [InlineData(5, 4, 0, "column count", "0")]
    [InlineData(-5, 4, 3, "image count", "-5")]
    [InlineData(5, 4, int.MinValue, "column count", "-2147483648")]
    public void Zero_or_negative_image_dimensions(int count, int rows, int columns, string field, string value)
    {
        foreach (bool gzip in new[] { false, true })
            AssertFault(IdxFiles.TrainImages, IdxFiles.Images(count, rows, columns, Pixels), gzip,
                $"invalid {field}", value, "must be positive");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Zero_or_negative_label_count(int count)
    {
        foreach (bool gzip in new[] { false, true })
            AssertFault(IdxFiles.TrainLabels, IdxFiles.Labels([], count), gzip, "invalid label count");
    }

    [Theory]
    [InlineData(100_000_000, 28, 28)]
    [InlineData(1, 100_000, 100_000)]
    [InlineData(int.MaxValue, int.MaxValue, int.MaxValue)]
    public void Absurd_image_dimensions(int count, int rows, int columns)
    {
        foreach (bool gzip in new[] { false, true })
            AssertFault(IdxFiles.TrainImages, IdxFiles.Images(count, rows, columns, Pixels), gzip,
                "absurd dimensions", $"{count} × {rows} × {columns}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Header_count_beyond_the_data_is_truncation(bool gzip) =>
        AssertFault(IdxFiles.TrainImages, IdxFiles.Images(6, 4, 3, Pixels), gzip,
            "truncated", "6 images of 4×3", "72 bytes");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Label_count_beyond_the_data_is_truncation(bool gzip) =>
        AssertFault(IdxFiles.TrainLabels, IdxFiles.Labels(Labels, count: 6), gzip, "truncated", "6 labels");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_header_claiming_gigabytes_of_a_tiny_file_allocates_no_more_than_the_data(bool gzip)
    {
        // 2,000,000 × 28 × 28 = 1.57 GB: within array limits, so only the data actually present can refute it.
        byte[] claim = IdxFiles.Images(2_000_000, 28, 28, Pixels);
        long before = GC.GetAllocatedBytesForCurrentThread();

        AssertFault(IdxFiles.TrainImages, claim, gzip, "truncated");

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Image_bytes_after_the_declared_count_are_trailing_data(bool gzip) =>
        AssertFault(IdxFiles.TrainImages, IdxFiles.Images(4, 4, 3, Pixels), gzip, "trailing data", "4 images of 4×3");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Label_bytes_after_the_declared_count_are_trailing_data(bool gzip) =>
        AssertFault(IdxFiles.TrainLabels, IdxFiles.Labels(Labels, count: 4), gzip, "trailing data", "4 labels");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Image_and_label_counts_that_disagree_name_both_files(bool gzip)
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip);
        string labels = IdxFiles.Write(directory, IdxFiles.TestLabels, IdxFiles.Labels([1, 2]), gzip);

        var ex = Assert.Throws<InvalidDataException>(() => Mnist.Load(directory.Path));

        Assert.StartsWith(labels, ex.Message);
        Assert.Contains(IdxFiles.TestImages, ex.Message);
        Assert.Contains("counts disagree", ex.Message);
        Assert.Contains("2 labels", ex.Message);
        Assert.Contains("3 images", ex.Message);
    }

    [Theory]
    [InlineData((byte)10)]
    [InlineData((byte)255)]
    public void Labels_outside_0_to_9(byte label)
    {
        byte[] labels = [.. Labels];
        labels[3] = label;
        foreach (bool gzip in new[] { false, true })
            AssertFault(IdxFiles.TrainLabels, IdxFiles.Labels(labels), gzip, $"label {label} at index 3", "outside 0..9");
    }

    [Fact]
    public void Training_and_test_images_of_different_sizes()
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip: false);
        string test = IdxFiles.Write(directory, IdxFiles.TestImages, IdxFiles.Images(3, 2, 2, new byte[12]), gzip: false);

        var ex = Assert.Throws<InvalidDataException>(() => Mnist.Load(directory.Path));

        Assert.StartsWith(test, ex.Message);
        Assert.Contains("4 pixels", ex.Message);
        Assert.Contains("have 12", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Empty_file_is_truncation(bool gzip) =>
        AssertCorruptFile(IdxFiles.TrainImages + (gzip ? ".gz" : ""), [], "truncated");

    [Fact]
    public void Plain_data_in_a_gz_file_is_not_gzip() =>
        AssertCorruptFile(IdxFiles.TrainImages + ".gz", IdxFiles.Images(5, 4, 3, Pixels),
            "not gzip data", "0x1F 0x8B");

    [Fact]
    public void Gzip_magic_followed_by_garbage_is_not_valid_gzip()
    {
        byte[] garbage = [0x1F, 0x8B, .. Enumerable.Range(0, 200).Select(i => (byte)(i * 91 + 7))];
        AssertCorruptFile(IdxFiles.TrainImages + ".gz", garbage, "not valid gzip data");
    }

    [Fact]
    public void Damaged_compressed_bytes_are_not_valid_gzip()
    {
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Images(5, 4, 3, Pixels));
        gzip[^6] ^= 0xFF; // inside the CRC-32 of the trailer

        AssertCorruptFile(IdxFiles.TrainImages + ".gz", gzip, "not valid gzip data");
    }

    [Fact]
    public void Gzip_cut_inside_its_trailer_is_truncated()
    {
        // The IDX content inflates completely; only the trailer shows the file was cut.
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Images(5, 4, 3, Pixels));

        AssertCorruptFile(IdxFiles.TrainImages + ".gz", gzip[..^3], "truncated or damaged gzip stream");
    }

    [Fact]
    public void Gzip_cut_in_its_compressed_data_is_truncated()
    {
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Images(5, 4, 3, Pixels));

        AssertCorruptFile(IdxFiles.TrainImages + ".gz", gzip[..(gzip.Length / 2)], "truncated");
    }

    [Fact]
    public void Garbage_after_the_gzip_stream_is_rejected()
    {
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Images(5, 4, 3, Pixels));

        AssertCorruptFile(IdxFiles.TrainImages + ".gz", [.. gzip, 1, 2, 3, 4, 5], "5 bytes of trailing data after its gzip stream");
    }

    /// <summary>Replaces <paramref name="name"/> in a valid set with <paramref name="content"/> (gzipped if asked).</summary>
    private static void AssertFault(string name, byte[] content, bool gzip, params string[] phrases) =>
        AssertCorruptFile(gzip ? name + ".gz" : name, gzip ? IdxFiles.Gzip(content) : content, phrases);

    /// <summary>Writes <paramref name="bytes"/> verbatim as <paramref name="fileName"/> into a valid set of the same kind.</summary>
    private static void AssertCorruptFile(string fileName, byte[] bytes, params string[] phrases)
    {
        using var directory = new TempDirectory();
        IdxFiles.WriteValidSet(directory, gzip: fileName.EndsWith(".gz", StringComparison.Ordinal));
        string path = directory.File(fileName);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Mnist.Load(directory.Path));

        Assert.StartsWith(path, ex.Message);
        foreach (string phrase in phrases)
            Assert.Contains(phrase, ex.Message);
    }
}
