using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Faults;

/// <summary>
/// Seeded fuzzing of <see cref="Mnist.Load"/>: thousands of damaged files, each either loaded exactly as its bytes say or
/// rejected with an <see cref="InvalidDataException"/> naming the file and the fault — never another exception type,
/// never an allocation sized by a header the data does not back (bounded by <see cref="IdxFuzz.AllocationBound"/>),
/// never a hang (each load runs under <see cref="IdxFuzz.CaseTimeout"/>).
/// </summary>
/// <remarks>
/// Every case is a pure function of (category, seed), printed with any failure; <see cref="Replay"/> reruns one.
/// Damage made to the IDX bytes (plain files, and the same damage then gzipped) is judged by an independent reference
/// model (<see cref="IdxFuzz.SetFault"/>) in both directions: valid sets must load, invalid ones must fail with the
/// model's fault phrase. Damage to compressed bytes is judged one way: if the loader accepts it, a plain GZipStream must
/// inflate it to a valid set with the same data. The exhaustive truncation and one-fault-per-kind tests live in
/// Data/IdxTruncationTests and Data/IdxCorruptionTests; this file only adds volume and randomness.
/// </remarks>
public sealed class IdxFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int PlainPerKind = 400;
    private const int GzipWrappedPerKind = 200;
    private const int GzipDamagePerKind = 200;
    private const int NotGzipCases = 500;

    private readonly FuzzDirectory _directory = new();

    /// <summary>Damage to the IDX bytes, independent of compression.</summary>
    private static readonly string[] ContentKinds =
    [
        "random bytes", "header bit flips", "truncation", "appended garbage", "huge header claim",
        "count disagreement", "label out of range", "body bytes changed", "reshaped images",
    ];

    /// <summary>Damage to the compressed bytes of a valid .gz file.</summary>
    private static readonly string[] GzipKinds =
    [
        "compressed bit flips", "gzip header bit flips", "gzip trailer bit flips", "gzip truncation",
        "garbage after gzip", "second gzip member",
    ];

    /// <summary>Found by this fuzz: see <see cref="Garbage_after_the_gzip_member_that_ends_in_its_ISIZE_is_rejected"/>.</summary>
    private const string IsizeGarbageKind = "garbage after gzip ending in ISIZE";

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Plain_files_with_damaged_idx_bytes_load_exactly_or_are_invalid_data() =>
        RunCategories(ContentKinds.Select(kind => ("plain/" + kind, PlainPerKind)));

    [Fact]
    public void Gzipped_files_with_damaged_idx_bytes_load_exactly_or_are_invalid_data() =>
        RunCategories(ContentKinds.Select(kind => ("gzip/" + kind, GzipWrappedPerKind)));

    [Fact]
    public void Damaged_gzip_streams_load_what_gzip_holds_or_are_invalid_data() =>
        RunCategories(GzipKinds.Select(kind => ("gzip-stream/" + kind, GzipDamagePerKind)));

    [Fact]
    public void Non_gzip_bytes_named_gz_are_invalid_data() =>
        RunCategories([("not-gzip/named .gz", NotGzipCases)]);

    /// <summary>Headers claiming up to uint.MaxValue items in every field, plain and gzipped, on every file.</summary>
    [Fact]
    public void Every_huge_claim_in_every_field_is_invalid_data_without_a_large_allocation()
    {
        var tally = new FuzzTally();
        var random = new Random(1234);
        foreach (IdxSlot slot in Enum.GetValues<IdxSlot>())
        {
            int fields = IdxFuzz.IsImages(slot) ? 3 : 1;
            foreach (bool gzip in new[] { false, true })
            foreach (uint claim in IdxFuzz.HugeClaims)
            for (int field = 0; field < fields; field++)
            {
                byte[][] valid = IdxFuzz.ValidContents(random);
                byte[] content = (byte[])valid[(int)slot].Clone();
                BinaryPrimitives.WriteUInt32BigEndian(content.AsSpan(4 + 4 * field), claim);
                var fuzzCase = new IdxFuzzCase("exhaustive/huge claim", 0, slot, gzip,
                    gzip ? IdxFuzz.Gzip(content) : content, content, valid, new bool[4],
                    $"field {field} = {claim} (0x{claim:X8})");
                string? failure = IdxFuzz.Check(fuzzCase, _directory, out bool loaded);
                tally.Add(fuzzCase, loaded, failure);
            }
        }
        Report(tally);
    }

    // ------------------------------------------------------------------ bugs this fuzz found

    private const string IsizeGarbageBug =
        "bug: IdxInput accepts bytes after the gzip member when they end in the member's ISIZE (GZipStream ignores " +
        "trailing non-gzip bytes; the only check is the last 4 bytes against the inflated length)";

    /// <summary>
    /// Trailing bytes after a complete gzip member make the file corrupt (as <c>Garbage_after_the_gzip_stream_is_rejected</c>
    /// in Data/IdxCorruptionTests says), but when they end with the same four bytes as the real trailer's ISIZE, the
    /// loader accepts the file. Every case of this category loads today.
    /// </summary>
    [Fact]
    public void Garbage_after_the_gzip_member_that_ends_in_its_ISIZE_is_rejected() =>
        RunCategories([("gzip-stream/" + IsizeGarbageKind, GzipDamagePerKind)]);

    /// <summary>A seed of that category: 3 random bytes (D1 6E BB) and a copy of ISIZE after a valid train-images .gz.</summary>
    [Fact]
    public void Seed_384499714_garbage_ending_in_ISIZE_after_the_gzip_member_is_rejected()
    {
        IdxFuzzCase fuzzCase = Generate("gzip-stream/" + IsizeGarbageKind, 384_499_714);
        string? failure = IdxFuzz.Check(fuzzCase, _directory, out _);
        Assert.True(failure is null, $"{fuzzCase}\n{failure}");
    }

    /// <summary>The smallest instance: the last four bytes of a valid .gz file written twice.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_gz_file_with_its_ISIZE_repeated_is_rejected(bool wholeTrailer)
    {
        var random = new Random(7);
        byte[][] valid = IdxFuzz.ValidContents(random);
        byte[] gzip = IdxFuzz.Gzip(valid[0]);
        byte[] file = [.. gzip, .. gzip[(wholeTrailer ? ^8 : ^4)..]];
        var fuzzCase = new IdxFuzzCase("regression", 7, IdxSlot.TrainImages, true, file, null, valid, new bool[4],
            wholeTrailer ? "trailer repeated" : "ISIZE repeated") { MustFail = true, ExpectedPhrases = ["gzip"] };

        string? failure = IdxFuzz.Check(fuzzCase, _directory, out _);

        Assert.True(failure is null, $"{fuzzCase}\n{failure}");
    }

    /// <summary>Reruns one case; paste the category and seed of a failure here to debug it.</summary>
    [Theory]
    [InlineData("plain/huge header claim", 1_073_020_929)]    // three fields claim 2.4e9, 6e8 and 4294967294
    [InlineData("gzip-stream/second gzip member", 263_782_400)] // an empty second member: ISIZE 0 gives it away
    [InlineData("gzip/reshaped images", 948_174_849)]          // 1 image of 2×1 where the training images have 2 pixels: loads
    public void Replay(string category, int seed)
    {
        IdxFuzzCase fuzzCase = Generate(category, seed);
        string? failure = IdxFuzz.Check(fuzzCase, _directory, out _);
        Assert.True(failure is null, $"{fuzzCase}\n{failure}");
    }

    private void RunCategories(System.Collections.Generic.IEnumerable<(string Category, int Cases)> categories)
    {
        var tally = new FuzzTally();
        var clock = Stopwatch.StartNew();
        foreach (var (category, cases) in categories)
        {
            int baseSeed = CategorySeed(category);
            for (int i = 0; i < cases; i++)
            {
                IdxFuzzCase fuzzCase = Generate(category, baseSeed + i);
                string? failure = IdxFuzz.Check(fuzzCase, _directory, out bool loaded);
                tally.Add(fuzzCase, loaded, failure);
            }
        }
        output.WriteLine($"{tally.Total} cases in {clock.Elapsed.TotalSeconds:F1} s");
        Report(tally);
    }

    private void Report(FuzzTally tally)
    {
        foreach (string line in tally.Lines())
            output.WriteLine(line);
        Assert.True(tally.Failures.Count == 0,
            $"{tally.Failures.Count} of {tally.Total} cases failed; the first ones:\n" + string.Join("\n", tally.Failures.Take(10)));
    }

    /// <summary>A stable seed range per category (string.GetHashCode is randomized per process, so not that).</summary>
    private static int CategorySeed(string category) =>
        category.Aggregate(17, (hash, c) => unchecked(hash * 31 + c)) & 0x3FFF_FFFF & ~0xFFFF;

    // ------------------------------------------------------------------ case generators

    /// <summary>The case (category, seed) names: everything about it is drawn from <c>new Random(seed)</c>.</summary>
    internal static IdxFuzzCase Generate(string category, int seed)
    {
        var random = new Random(seed);
        byte[][] valid = IdxFuzz.ValidContents(random);
        var slot = (IdxSlot)random.Next(4);
        bool[] othersGz = Enumerable.Range(0, 4).Select(_ => random.Next(2) == 0).ToArray();
        string[] parts = category.Split('/', 2);
        switch (parts[0])
        {
            case "plain":
            case "gzip":
            {
                bool gzip = parts[0] == "gzip";
                (byte[] content, string description) = DamageContent(parts[1], random, valid, ref slot);
                byte[] file = gzip ? IdxFuzz.Gzip(content, RandomLevel(random)) : content;
                return new IdxFuzzCase(category, seed, slot, gzip, file, content, valid, othersGz, description);
            }
            case "gzip-stream":
            {
                byte[] compressed = IdxFuzz.Gzip(valid[(int)slot], RandomLevel(random));
                (byte[] file, string description) = DamageGzip(parts[1], random, compressed);
                // Bytes after a complete member are never part of a valid file; flipped bits may be harmless (MTIME, OS).
                bool appended = parts[1] is "garbage after gzip" or IsizeGarbageKind or "second gzip member" or "gzip truncation";
                return new IdxFuzzCase(category, seed, slot, true, file, null, valid, othersGz, description) { MustFail = appended };
            }
            case "not-gzip":
            {
                (byte[] file, string description) = NotGzip(random, valid[(int)slot]);
                string[] phrases = file.Length < 18 ? ["truncated"] : ["not gzip data"];
                return new IdxFuzzCase(category, seed, slot, true, file, null, valid, othersGz, description)
                {
                    MustFail = true,
                    ExpectedPhrases = phrases,
                };
            }
            default:
                throw new ArgumentException($"unknown category {category}", nameof(category));
        }
    }

    private static CompressionLevel RandomLevel(Random random) =>
        (CompressionLevel)new[] { 0, 1, 2, 3 }[random.Next(4)]; // Optimal, Fastest, NoCompression, SmallestSize

    private static (byte[] Content, string Description) DamageContent(string kind, Random random, byte[][] valid, ref IdxSlot slot)
    {
        byte[] content = (byte[])valid[(int)slot].Clone();
        int header = IdxFuzz.IsImages(slot) ? IdxFuzz.ImageHeader : IdxFuzz.LabelHeader;
        switch (kind)
        {
            case "random bytes":
            {
                int length = random.Next(0, 64);
                byte[] bytes = IdxFuzz.RandomBytes(random, length);
                // Half keep a valid magic and small dimensions, so the fuzz gets past the first check often.
                if (length >= header && random.Next(2) == 0)
                {
                    BinaryPrimitives.WriteInt32BigEndian(bytes, IdxFuzz.IsImages(slot) ? IdxReaderMagic.Images : IdxReaderMagic.Labels);
                    for (int f = 4; f < header; f += 4)
                        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(f), random.Next(-2, 8));
                }
                return (bytes, $"{length} random bytes: {Convert.ToHexString(bytes)}");
            }
            case "header bit flips":
            {
                int flips = random.Next(1, 4);
                var positions = new int[flips];
                for (int i = 0; i < flips; i++)
                {
                    positions[i] = random.Next(header * 8);
                    content[positions[i] / 8] ^= (byte)(1 << (positions[i] % 8));
                }
                return (content, $"header bits {string.Join(", ", positions)} flipped: {Convert.ToHexString(content, 0, header)}");
            }
            case "truncation":
            {
                int length = random.Next(content.Length);
                return (content[..length], $"cut to {length} of {content.Length} bytes");
            }
            case "appended garbage":
            {
                byte[] garbage = IdxFuzz.RandomBytes(random, random.Next(1, 65));
                return ([.. content, .. garbage], $"{garbage.Length} bytes appended");
            }
            case "huge header claim":
            {
                int fields = (header - 4) / 4;
                int changed = random.Next(1, fields + 1);
                var claims = new string[changed];
                for (int i = 0; i < changed; i++)
                {
                    int field = random.Next(fields);
                    uint claim = random.Next(3) == 0 ? (uint)random.NextInt64(1L << 20, 1L << 32) : IdxFuzz.HugeClaims[random.Next(IdxFuzz.HugeClaims.Length)];
                    BinaryPrimitives.WriteUInt32BigEndian(content.AsSpan(4 + 4 * field), claim);
                    claims[i] = $"field {field} = {claim}";
                }
                return (content, string.Join(", ", claims));
            }
            case "count disagreement":
            {
                // A file that is valid on its own, with a count its partner does not have.
                int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
                int other;
                do other = Math.Max(1, count + random.Next(-3, 4));
                while (other == count);
                if (IdxFuzz.IsImages(slot))
                {
                    int rows = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(8));
                    int columns = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(12));
                    return (IdxFuzz.Images(other, rows, columns, IdxFuzz.RandomBytes(random, other * rows * columns)),
                        $"images count {count} -> {other}");
                }
                return (IdxFuzz.Labels(other, IdxFuzz.RandomLabels(random, other)), $"label count {count} -> {other}");
            }
            case "label out of range":
            {
                slot = random.Next(2) == 0 ? IdxSlot.TrainLabels : IdxSlot.TestLabels;
                content = (byte[])valid[(int)slot].Clone();
                int index = random.Next(content.Length - IdxFuzz.LabelHeader);
                byte label = (byte)random.Next(10, 256);
                content[IdxFuzz.LabelHeader + index] = label;
                return (content, $"label {index} = {label}");
            }
            case "body bytes changed":
            {
                // Still a valid file (labels stay 0..9): it must load, with exactly the new values.
                int index = random.Next(header, content.Length);
                content[index] = (byte)(IdxFuzz.IsImages(slot) ? random.Next(256) : random.Next(10));
                return (content, $"byte {index} = {content[index]}");
            }
            case "reshaped images":
            {
                // Valid on its own; valid as a set only when rows × columns still matches the other split's.
                slot = random.Next(2) == 0 ? IdxSlot.TrainImages : IdxSlot.TestImages;
                content = valid[(int)slot];
                int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
                int features = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(8)) * BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(12));
                int[] divisors = Enumerable.Range(1, features).Where(d => features % d == 0).ToArray();
                int rows = random.Next(2) == 0 ? divisors[random.Next(divisors.Length)] : random.Next(1, 7);
                int columns = features % rows == 0 && random.Next(2) == 0 ? features / rows : random.Next(1, 7);
                return (IdxFuzz.Images(count, rows, columns, IdxFuzz.RandomBytes(random, count * rows * columns)),
                    $"{count} images of {rows}×{columns} (the other split has {features} pixels)");
            }
            default:
                throw new ArgumentException($"unknown kind {kind}", nameof(kind));
        }
    }

    private static (byte[] File, string Description) DamageGzip(string kind, Random random, byte[] gzip)
    {
        byte[] file = (byte[])gzip.Clone();
        string FlipIn(int start, int end)
        {
            int flips = random.Next(1, 4);
            var positions = new int[flips];
            for (int i = 0; i < flips; i++)
            {
                positions[i] = random.Next(start * 8, end * 8);
                file[positions[i] / 8] ^= (byte)(1 << (positions[i] % 8));
            }
            return $"bits {string.Join(", ", positions)} of {file.Length * 8} flipped";
        }

        switch (kind)
        {
            case "compressed bit flips":
                return (file, FlipIn(0, file.Length));
            case "gzip header bit flips":
                return (file, FlipIn(0, 10));
            case "gzip trailer bit flips":
                return (file, FlipIn(file.Length - 8, file.Length));
            case "gzip truncation":
            {
                int length = random.Next(file.Length);
                return (file[..length], $"cut to {length} of {file.Length} bytes");
            }
            case "garbage after gzip":
            {
                byte[] garbage = IdxFuzz.RandomBytes(random, random.Next(1, 65));
                return ([.. file, .. garbage], $"{garbage.Length} bytes appended: {Convert.ToHexString(garbage)}");
            }
            case "garbage after gzip ending in ISIZE":
            {
                // The loader compares the last four bytes with the inflated length; garbage that ends with the same four
                // bytes as the real trailer defeats that check unless the garbage itself is noticed.
                byte[] garbage = IdxFuzz.RandomBytes(random, random.Next(0, 33));
                if (garbage.Length > 0 && garbage[0] == 0x1F) garbage[0] = 0x20;
                return ([.. file, .. garbage, .. file[^4..]], $"{garbage.Length} bytes and a copy of ISIZE appended: {Convert.ToHexString(garbage)}");
            }
            case "second gzip member":
            {
                // GZipStream writes nothing at all for empty input, so the empty member is spelled out.
                byte[] member = random.Next(3) == 0 ? IdxFuzz.EmptyGzipMember : IdxFuzz.Gzip(IdxFuzz.RandomBytes(random, random.Next(1, 40)));
                return ([.. file, .. member], $"a second member appended: {Convert.ToHexString(member)}");
            }
            default:
                throw new ArgumentException($"unknown kind {kind}", nameof(kind));
        }
    }

    private static (byte[] File, string Description) NotGzip(Random random, byte[] content)
    {
        switch (random.Next(6))
        {
            case 0:
                return (content, "the plain IDX file");
            case 1:
            {
                byte[] bytes = IdxFuzz.RandomBytes(random, random.Next(0, 200));
                if (bytes.Length > 1 && bytes[0] == 0x1F && bytes[1] == 0x8B) bytes[1] = 0x8C;
                return (bytes, $"{bytes.Length} random bytes");
            }
            case 2:
            {
                byte[] bytes = [0x1F, .. IdxFuzz.RandomBytes(random, random.Next(0, 100))];
                if (bytes.Length > 1 && bytes[1] == 0x8B) bytes[1] = 0x8A;
                return (bytes, $"0x1F then {bytes.Length - 1} random bytes");
            }
            case 3:
            {
                var zlib = new MemoryStream();
                using (var stream = new ZLibStream(zlib, CompressionLevel.Optimal, leaveOpen: true))
                    stream.Write(content);
                return (zlib.ToArray(), "a zlib stream of the IDX file");
            }
            case 4:
            {
                var deflate = new MemoryStream();
                using (var stream = new DeflateStream(deflate, CompressionLevel.Optimal, leaveOpen: true))
                    stream.Write(content);
                return (deflate.ToArray(), "a raw deflate stream of the IDX file");
            }
            default:
            {
                byte[] gzip = IdxFuzz.Gzip(content);
                return (gzip[1..], "a gzip file missing its first byte");
            }
        }
    }
}
