using System;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace CompiledNets.Tests.Faults;

/// <summary>The four files <see cref="Mnist.Load"/> reads, in the order it reads them.</summary>
internal enum IdxSlot { TrainImages, TrainLabels, TestImages, TestLabels }

/// <summary>
/// One fuzz case: a valid four-file set in which the file in <see cref="Slot"/> is replaced by <see cref="FileBytes"/>
/// (written as <c>name.gz</c> when <see cref="NamedGz"/>); the other three files hold <see cref="Valid"/>. When
/// <see cref="Content"/>, the IDX bytes the replaced file holds, is known (the mutation was made
/// on the IDX bytes, before any compression) the reference model decides the outcome exactly; otherwise (damage to
/// the compressed bytes) only "loads what a reference decoder reads, or InvalidDataException" is checked.
/// </summary>
internal sealed record IdxFuzzCase(
    string Category,
    int Seed,
    IdxSlot Slot,
    bool NamedGz,
    byte[] FileBytes,
    byte[]? Content,
    byte[][] Valid,
    bool[] OthersGz,
    string Description)
{
    /// <summary>When set, a failing load must say one of these (overrides the reference model's phrase).</summary>
    public string[]? ExpectedPhrases { get; init; }

    /// <summary>When set, the load must fail (for bytes that are certainly not a valid file).</summary>
    public bool MustFail { get; init; }

    public override string ToString() => $"{Category} seed {Seed} ({Slot}{(NamedGz ? ".gz" : "")}): {Description}";
}

/// <summary>What a load of a fuzz case did.</summary>
internal sealed record IdxOutcome(MnistData? Data, Exception? Error, long AllocatedBytes, TimeSpan Elapsed);

/// <summary>
/// Builds valid IDX sets and damaged variants of them, each a pure function of a seed, so a failing case is
/// replayed exactly by its category and seed.
/// </summary>
internal static class IdxFuzz
{
    public const int ImageHeader = 16;
    public const int LabelHeader = 8;
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);
    public const long AllocationBound = 64L << 20;

    /// <summary>Sizes a header can claim: the edges of int, uint, Array.MaxLength, and merely large.</summary>
    public static readonly uint[] HugeClaims =
    [
        int.MaxValue, uint.MaxValue, 0x80000000u, 0x7FFFFFC7u, 0x7FFFFFC8u, 0xFFFFFFFEu, 1u << 30, 1_000_000_000u,
        2_000_000u, 100_000u, 65_536u, 60_000u, 0x10000000u, 46_341u, 46_340u,
    ];

    /// <summary>Every phrase the loader's messages use to name a fault.</summary>
    public static readonly string[] KnownPhrases =
    [
        "truncated", "trailing data", "bad magic number", "invalid image count", "invalid row count",
        "invalid column count", "invalid label count", "absurd dimensions", "not gzip data", "not valid gzip data",
        "gzip trailer", "counts disagree", "outside 0..9", "holds images of",
    ];

    public static string FileName(IdxSlot slot) => Mnist.FileNames[(int)slot];

    public static bool IsImages(IdxSlot slot) => slot is IdxSlot.TrainImages or IdxSlot.TestImages;

    /// <summary>A random valid set: small shapes, random pixels, labels 0..9.</summary>
    public static byte[][] ValidContents(Random random)
    {
        int rows = random.Next(1, 6), columns = random.Next(1, 6);
        int train = random.Next(1, 9), test = random.Next(1, 6);
        return
        [
            Images(train, rows, columns, RandomBytes(random, train * rows * columns)),
            Labels(train, RandomLabels(random, train)),
            Images(test, rows, columns, RandomBytes(random, test * rows * columns)),
            Labels(test, RandomLabels(random, test)),
        ];
    }

    public static byte[] Images(int count, int rows, int columns, byte[] pixels, int magic = IdxReaderMagic.Images)
    {
        var bytes = new byte[ImageHeader + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        pixels.CopyTo(bytes, ImageHeader);
        return bytes;
    }

    public static byte[] Labels(int count, byte[] labels, int magic = IdxReaderMagic.Labels)
    {
        var bytes = new byte[LabelHeader + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        labels.CopyTo(bytes, LabelHeader);
        return bytes;
    }

    public static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    public static byte[] RandomLabels(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (byte)random.Next(10)).ToArray();

    /// <summary>A complete gzip member holding no data: header, an empty final fixed-Huffman block, CRC 0, ISIZE 0.</summary>
    public static readonly byte[] EmptyGzipMember =
        [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Gzip of <paramref name="data"/> (for empty data .NET writes nothing: use <see cref="EmptyGzipMember"/>).</summary>
    public static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Optimal)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, level, leaveOpen: true))
            gzip.Write(data);
        return compressed.ToArray();
    }

    /// <summary>Inflates a whole gzip file the plain .NET way (multi-member, no ISIZE check), or null if it cannot.</summary>
    public static byte[]? ReferenceGunzip(byte[] file)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or EndOfStreamException)
        {
            return null;
        }
    }

    // ---------------------------------------------------------------- the reference model

    /// <summary>The fault phrase the loader must report for one file's IDX bytes, or null when the file is valid.</summary>
    public static string? FileFault(IdxSlot slot, byte[] content)
    {
        bool images = IsImages(slot);
        int header = images ? ImageHeader : LabelHeader;
        if (content.Length < header)
            return "truncated";
        if (BinaryPrimitives.ReadInt32BigEndian(content) != (images ? IdxReaderMagic.Images : IdxReaderMagic.Labels))
            return "bad magic number";
        string[] names = images ? ["image count", "row count", "column count"] : ["label count"];
        var dims = new long[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4 + 4 * i));
            if (dims[i] <= 0)
                return "invalid " + names[i];
        }
        // Exact arithmetic: at most 2^31 × 2^31 × 2^31 = 2^93, so go through decimal.
        decimal values = dims.Aggregate(1m, (product, d) => product * d);
        if (values > Array.MaxLength)
            return "absurd dimensions";
        long body = content.Length - header;
        if (body < (long)values)
            return "truncated";
        if (body > (long)values)
            return "trailing data";
        return null;
    }

    /// <summary>
    /// What <see cref="Mnist.Load"/> must do with these four IDX contents: the phrase of the first fault in the order it
    /// checks them, or null and the data it must return.
    /// </summary>
    public static string? SetFault(byte[][] contents, out MnistData? expected)
    {
        expected = null;
        var splits = new Dataset[2];
        for (int split = 0; split < 2; split++)
        {
            var imagesSlot = (IdxSlot)(2 * split);
            var labelsSlot = (IdxSlot)(2 * split + 1);
            byte[] images = contents[(int)imagesSlot], labels = contents[(int)labelsSlot];
            if (FileFault(imagesSlot, images) is string imageFault) return imageFault;
            if (FileFault(labelsSlot, labels) is string labelFault) return labelFault;
            int count = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4));
            int features = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8)) * BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12));
            if (count != labels.Length - LabelHeader)
                return "counts disagree";
            if (labels.AsSpan(LabelHeader).IndexOfAnyInRange((byte)10, (byte)255) >= 0)
                return "outside 0..9";
            splits[split] = new Dataset(
                images.Skip(ImageHeader).Select(b => b / 255f).ToArray(),
                labels.Skip(LabelHeader).Select(b => (int)b).ToArray(),
                features);
        }
        if (splits[0].Features != splits[1].Features)
            return "holds images of";
        expected = new MnistData(splits[0], splits[1]);
        return null;
    }

    // ---------------------------------------------------------------- running a case

    /// <summary>Writes the case into <paramref name="directory"/>: the damaged file and three valid ones.</summary>
    public static string Write(IdxFuzzCase fuzzCase, FuzzDirectory directory)
    {
        string target = "";
        for (int i = 0; i < 4; i++)
        {
            var slot = (IdxSlot)i;
            string plain = directory.File(FileName(slot));
            File.Delete(plain);
            File.Delete(plain + ".gz");
            if (slot == fuzzCase.Slot)
            {
                target = fuzzCase.NamedGz ? plain + ".gz" : plain;
                File.WriteAllBytes(target, fuzzCase.FileBytes);
            }
            else if (fuzzCase.OthersGz[i])
                File.WriteAllBytes(plain + ".gz", Gzip(fuzzCase.Valid[i], CompressionLevel.Fastest));
            else
                File.WriteAllBytes(plain, fuzzCase.Valid[i]);
        }
        return target;
    }

    /// <summary>Loads <paramref name="directory"/> on a worker thread, measuring that thread's allocations and waiting at most <see cref="CaseTimeout"/>.</summary>
    public static IdxOutcome? Load(string directory) => FuzzLoader.Shared.Load(directory);

    /// <summary>One load, timed and with the allocations of the calling thread counted.</summary>
    public static IdxOutcome LoadMeasured(string directory)
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            MnistData data = Mnist.Load(directory);
            return new IdxOutcome(data, null, GC.GetAllocatedBytesForCurrentThread() - before, clock.Elapsed);
        }
        catch (Exception ex)
        {
            return new IdxOutcome(null, ex, GC.GetAllocatedBytesForCurrentThread() - before, clock.Elapsed);
        }
    }

    /// <summary>Runs one case and returns what was wrong with the loader's answer, or null when it was right.</summary>
    public static string? Check(IdxFuzzCase fuzzCase, FuzzDirectory directory, out bool loaded)
    {
        loaded = false;
        string path = Write(fuzzCase, directory);
        IdxOutcome? outcome = Load(directory.Path);
        if (outcome is null)
            return $"did not finish within {CaseTimeout.TotalSeconds} s (hang)";

        // What the file holds, when that is known without trusting a decompressor on damaged bytes.
        byte[][]? contents = null;
        if (fuzzCase.Content is byte[] content)
            contents = fuzzCase.Valid.Select((valid, i) => i == (int)fuzzCase.Slot ? content : valid).ToArray();
        string? expectedFault = contents is null ? null : SetFault(contents, out _);
        bool exact = contents is not null;

        if (outcome.Error is { } error)
        {
            if (error is not InvalidDataException)
                return $"threw {error.GetType().FullName} instead of InvalidDataException: {error.Message}\n{error.StackTrace}";
            if (!error.Message.Contains(path, StringComparison.Ordinal))
                return $"message does not name {path}: {error.Message}";
            if (error.Message.Length < path.Length + 10)
                return $"message names no fault: {error.Message}";
            if (outcome.AllocatedBytes >= AllocationBound)
                return $"allocated {outcome.AllocatedBytes:N0} bytes on a failing load (bound {AllocationBound:N0}): {error.Message}";
            if (exact && expectedFault is null && !fuzzCase.MustFail)
                return $"rejected a valid set: {error.Message}";
            string[] phrases = fuzzCase.ExpectedPhrases ?? (expectedFault is null ? KnownPhrases : [expectedFault]);
            if (!phrases.Any(p => error.Message.Contains(p, StringComparison.Ordinal)))
                return $"message says none of [{string.Join(", ", phrases)}]: {error.Message}";
            return null;
        }

        loaded = true;
        if (fuzzCase.MustFail)
            return "loaded bytes that are not a valid file";
        if (exact)
        {
            if (expectedFault is not null)
                return $"loaded a set the reference model rejects ({expectedFault})";
        }
        else
        {
            // Damaged compressed bytes that still load: a plain decoder must read the same IDX bytes from them.
            byte[]? inflated = ReferenceGunzip(fuzzCase.FileBytes);
            if (inflated is null)
                return "loaded a .gz file that a reference GZipStream cannot decompress";
            contents = fuzzCase.Valid.Select((valid, i) => i == (int)fuzzCase.Slot ? inflated : valid).ToArray();
            if (SetFault(contents, out _) is string fault)
                return $"loaded a .gz file whose inflated content the reference model rejects ({fault})";
        }

        SetFault(contents!, out MnistData? expected);
        return SameData(expected!, outcome.Data!);
    }

    private static string? SameData(MnistData expected, MnistData actual)
    {
        foreach (var (name, e, a) in new[] { ("Train", expected.Train, actual.Train), ("Test", expected.Test, actual.Test) })
        {
            if (e.Features != a.Features) return $"{name}.Features {a.Features}, file says {e.Features}";
            if (!e.Labels.AsSpan().SequenceEqual(a.Labels)) return $"{name}.Labels differ from the file";
            if (!e.Images.AsSpan().SequenceEqual(a.Images)) return $"{name}.Images differ from the file";
        }
        return null;
    }
}

/// <summary>The IDX magic numbers, written out here so the reference model does not borrow them from the reader.</summary>
internal static class IdxReaderMagic
{
    public const int Images = 0x00000803;
    public const int Labels = 0x00000801;
}

/// <summary>Counts what each fuzz category did, for the test output and the report.</summary>
internal sealed class FuzzTally
{
    private readonly SortedDictionary<string, (int Cases, int Loaded)> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _failures = new();

    public void Add(IdxFuzzCase fuzzCase, bool loaded, string? failure)
    {
        _counts.TryGetValue(fuzzCase.Category, out var c);
        _counts[fuzzCase.Category] = (c.Cases + 1, c.Loaded + (loaded ? 1 : 0));
        if (failure is not null)
            _failures.Add($"{fuzzCase}\n    {failure}");
    }

    public int Total => _counts.Values.Sum(c => c.Cases);

    public IReadOnlyList<string> Failures => _failures;

    public IEnumerable<string> Lines() =>
        _counts.Select(kv => $"{kv.Key,-34} {kv.Value.Cases,6} cases ({kv.Value.Loaded} loaded, {kv.Value.Cases - kv.Value.Loaded} rejected)");
}

/// <summary>
/// A scratch directory for thousands of small files. On Linux it lives in /dev/shm when that exists: on the disk-backed
/// temp folder of these machines, replacing or deleting a just-written file costs milliseconds (the file system flushes
/// it first), which would make the fuzz run minutes instead of seconds.
/// </summary>
internal sealed class FuzzDirectory : IDisposable
{
    public FuzzDirectory()
    {
        string root = OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, "CompiledNets.Tests.Fuzz." + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "CompiledNets.Tests.Fuzz." + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}

/// <summary>
/// Runs loads on a dedicated thread, so a hang is caught by a timeout and the thread pool (busy with Roslyn when the
/// declaration fuzz runs alongside) cannot delay a case into a false "hang". A load that times out leaves its thread
/// behind and the next load gets a fresh one.
/// </summary>
internal sealed class FuzzLoader
{
    public static readonly FuzzLoader Shared = new();

    private readonly object _gate = new();
    private BlockingCollection<(string Directory, TaskCompletionSource<IdxOutcome> Done)>? _queue;

    public IdxOutcome? Load(string directory)
    {
        var done = new TaskCompletionSource<IdxOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        BlockingCollection<(string, TaskCompletionSource<IdxOutcome>)> queue;
        lock (_gate)
            queue = _queue ??= StartWorker();
        queue.Add((directory, done));
        if (done.Task.Wait(IdxFuzz.CaseTimeout))
            return done.Task.Result;
        lock (_gate)
        {
            if (_queue == queue)
            {
                queue.CompleteAdding(); // abandon the stuck worker
                _queue = null;
            }
        }
        return null;
    }

    private static BlockingCollection<(string, TaskCompletionSource<IdxOutcome>)> StartWorker()
    {
        var queue = new BlockingCollection<(string, TaskCompletionSource<IdxOutcome>)>();
        new Thread(() =>
        {
            foreach (var (directory, done) in queue.GetConsumingEnumerable())
                done.SetResult(IdxFuzz.LoadMeasured(directory));
        }) { IsBackground = true, Name = "IDX fuzz loader" }.Start();
        return queue;
    }
}
