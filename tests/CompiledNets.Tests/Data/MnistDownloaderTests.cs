using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace CompiledNets.Tests.Data;

/// <summary>The download logic against a fake network that serves files these tests write themselves.</summary>
public class MnistDownloaderTests
{
    private static readonly Uri First = new("https://first.example/mnist/");
    private static readonly Uri Second = new("https://second.example/mnist/");

    [Fact]
    public void The_archive_table_covers_exactly_the_files_Load_reads()
    {
        Assert.Equal(Mnist.FileNames.Select(name => name + ".gz"), MnistDownloader.Archives.Select(a => a.FileName));
        Assert.All(MnistDownloader.Archives, a => Assert.Matches("^[0-9a-f]{64}$", a.Sha256));
        Assert.Equal(
            ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"],
            MnistDownloader.Mirrors.Select(m => m.AbsoluteUri));
    }

    [Fact]
    public async Task Good_copies_are_renamed_into_place_and_load()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var target = new TempDirectory();
        var network = new FakeNetwork { [First] = source.Path };

        bool ok = await Download(target, network, ArchivesOf(source));

        Assert.True(ok);
        Assert.Equal(4, network.Requests.Count);
        foreach (string name in Mnist.FileNames)
            Assert.Equal(File.ReadAllBytes(source.File(name + ".gz")), File.ReadAllBytes(target.File(name + ".gz")));
        AssertNoPartFiles(target);
        Assert.Equal(5, Mnist.Load(target.Path).Train.Count);
    }

    [Fact]
    public async Task A_wrong_hash_is_rejected_and_the_next_mirror_tried()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var tampered = CopyWithOneByteChanged(source);
        using var target = new TempDirectory();
        var network = new FakeNetwork { [First] = tampered.Path, [Second] = source.Path };
        var log = new StringWriter();

        bool ok = await Download(target, network, ArchivesOf(source), log);

        Assert.True(ok);
        Assert.Equal(new[] { First, Second }, network.Requests.Take(2).Select(u => new Uri(u, ".")));
        Assert.Contains("SHA-256 mismatch", log.ToString());
        Assert.Equal(File.ReadAllBytes(source.File(IdxFiles.TrainImages + ".gz")),
            File.ReadAllBytes(target.File(IdxFiles.TrainImages + ".gz")));
        AssertNoPartFiles(target);
    }

    [Fact]
    public async Task Wrong_hashes_on_every_mirror_leave_no_file_behind()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var tampered = CopyWithOneByteChanged(source);
        using var target = new TempDirectory();
        var network = new FakeNetwork { [First] = tampered.Path, [Second] = tampered.Path };
        var log = new StringWriter();

        bool ok = await Download(target, network, ArchivesOf(source), log);

        Assert.False(ok);
        Assert.Empty(Directory.GetFiles(target.Path));
        Assert.Equal(2, network.Requests.Count); // gave up after the first archive failed everywhere
        Assert.Contains("from any mirror", log.ToString());
    }

    [Fact]
    public async Task A_longer_body_than_expected_is_cut_off_and_rejected()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        var archives = ArchivesOf(source).Select(a => a with { Size = a.Size - 1 }).ToList();
        using var target = new TempDirectory();
        var log = new StringWriter();

        bool ok = await Download(target, new FakeNetwork { [First] = source.Path }, archives, log);

        Assert.False(ok);
        Assert.Contains("more than the expected", log.ToString());
        Assert.Empty(Directory.GetFiles(target.Path));
    }

    [Fact]
    public async Task Network_failures_return_false_with_the_reason()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var target = new TempDirectory();
        var log = new StringWriter();

        bool ok = await Download(target, new FakeNetwork(), ArchivesOf(source), log); // knows no mirror: every fetch fails

        Assert.False(ok);
        Assert.Contains("no route to", log.ToString());
        Assert.Empty(Directory.GetFiles(target.Path));
    }

    [Fact]
    public async Task A_body_that_breaks_midway_leaves_no_file_behind()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var target = new TempDirectory();
        var network = new FakeNetwork { [First] = source.Path, BreakAfterBytes = 10 };
        var log = new StringWriter();

        bool ok = await Download(target, network, ArchivesOf(source), log);

        Assert.False(ok);
        Assert.Contains("connection reset", log.ToString());
        Assert.Empty(Directory.GetFiles(target.Path));
    }

    [Fact]
    public async Task Archives_already_present_with_the_right_hash_are_not_fetched_again()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var target = new TempDirectory();
        IdxFiles.WriteValidSet(target, gzip: true);
        var network = new FakeNetwork { [First] = source.Path };

        Assert.True(await Download(target, network, ArchivesOf(source)));

        Assert.Empty(network.Requests);
    }

    [Fact]
    public async Task A_stale_archive_is_replaced()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var target = new TempDirectory();
        File.WriteAllText(target.File(IdxFiles.TrainLabels + ".gz"), "stale");
        var network = new FakeNetwork { [First] = source.Path };

        Assert.True(await Download(target, network, ArchivesOf(source)));

        Assert.Equal(File.ReadAllBytes(source.File(IdxFiles.TrainLabels + ".gz")),
            File.ReadAllBytes(target.File(IdxFiles.TrainLabels + ".gz")));
    }

    [Fact]
    public async Task Creates_the_target_directory()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var parent = new TempDirectory();
        string nested = Path.Combine(parent.Path, "a", "b");

        bool ok = await MnistDownloader.TryDownloadAsync(nested, [First], ArchivesOf(source),
            new FakeNetwork { [First] = source.Path }.Fetch, log: null, CancellationToken.None);

        Assert.True(ok);
        Assert.Equal(4, Directory.GetFiles(nested).Length);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_swallowed()
    {
        using var source = new TempDirectory();
        IdxFiles.WriteValidSet(source, gzip: true);
        using var target = new TempDirectory();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MnistDownloader.TryDownloadAsync(
            target.Path, [First], ArchivesOf(source), new FakeNetwork { [First] = source.Path }.Fetch, null, cancel.Token));
        AssertNoPartFiles(target);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Rejects_a_missing_directory_argument(string? directory) =>
        await Assert.ThrowsAnyAsync<ArgumentException>(() => MnistDownloader.TryDownloadAsync(directory!));

    private static Task<bool> Download(
        TempDirectory target, FakeNetwork network, IReadOnlyList<MnistArchive> archives, TextWriter? log = null) =>
        MnistDownloader.TryDownloadAsync(target.Path, [First, Second], archives, network.Fetch, log, CancellationToken.None);

    /// <summary>The archive table for the .gz files in <paramref name="source"/>, in the order Load reads them.</summary>
    private static List<MnistArchive> ArchivesOf(TempDirectory source) =>
        Mnist.FileNames.Select(name =>
        {
            byte[] bytes = File.ReadAllBytes(source.File(name + ".gz"));
            return new MnistArchive(name + ".gz", bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }).ToList();

    private static TempDirectory CopyWithOneByteChanged(TempDirectory source)
    {
        var copy = new TempDirectory();
        foreach (string file in Directory.GetFiles(source.Path))
        {
            byte[] bytes = File.ReadAllBytes(file);
            bytes[^1] ^= 1;
            File.WriteAllBytes(copy.File(Path.GetFileName(file)), bytes);
        }
        return copy;
    }

    private static void AssertNoPartFiles(TempDirectory directory) =>
        Assert.Empty(Directory.GetFiles(directory.Path, "*.part"));

    /// <summary>Serves each mirror from a local folder and records every address asked for.</summary>
    private sealed class FakeNetwork : Dictionary<Uri, string>
    {
        public List<Uri> Requests { get; } = [];

        /// <summary>When set, every body fails with an IOException after this many bytes.</summary>
        public int? BreakAfterBytes { get; init; }

        public Task<Stream> Fetch(Uri uri, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Requests.Add(uri);
            var mirror = Keys.FirstOrDefault(m => m.IsBaseOf(uri))
                ?? throw new HttpRequestException($"no route to {uri.Host}");
            byte[] body = File.ReadAllBytes(Path.Combine(this[mirror], uri.Segments[^1]));
            Stream stream = BreakAfterBytes is int limit ? new BreakingStream(body, limit) : new MemoryStream(body);
            return Task.FromResult(stream);
        }
    }

    /// <summary>A body that delivers some bytes and then fails like a dropped connection.</summary>
    private sealed class BreakingStream(byte[] body, int limit) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= limit)
                throw new IOException("connection reset by peer");
            int read = Math.Min(count, Math.Min(limit, body.Length) - _position);
            Array.Copy(body, _position, buffer, offset, read);
            _position += read;
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
