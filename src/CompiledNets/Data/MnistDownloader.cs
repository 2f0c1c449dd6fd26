using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace CompiledNets;

/// <summary>One file to fetch: its name, its exact size in bytes, and its SHA-256 as lowercase hex.</summary>
internal sealed record MnistArchive(string FileName, long Size, string Sha256);

/// <summary>Fetches the original MNIST digits from public mirrors into a folder <see cref="Mnist.Load"/> can read.</summary>
public static class MnistDownloader
{
    /// <summary>Tried in order; each serves the four archives under the same names.</summary>
    internal static readonly IReadOnlyList<Uri> Mirrors =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    /// <summary>The published archives; sizes and hashes agree across torchvision, TFDS and other public sources.</summary>
    internal static readonly IReadOnlyList<MnistArchive> Archives =
    [
        new("train-images-idx3-ubyte.gz", 9_912_422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        new("train-labels-idx1-ubyte.gz", 28_881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        new("t10k-images-idx3-ubyte.gz", 1_648_877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        new("t10k-labels-idx1-ubyte.gz", 4_542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ];

    // Short, so a machine without a network gives up in seconds rather than minutes.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);
    // Bounds a whole file, body included, so a stalled mirror cannot hang the caller.
    private static readonly TimeSpan PerFileTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Downloads the four MNIST <c>.gz</c> archives into <paramref name="directory"/> (created if missing), trying each
    /// mirror in turn. Every file is written to a temporary name, checked against its published SHA-256, and only then
    /// renamed into place, so a failed or tampered download never leaves a file <see cref="Mnist.Load"/> would read.
    /// Archives already present with the right hash are kept.
    /// </summary>
    /// <param name="directory">Where the archives go.</param>
    /// <param name="log">Receives one line per attempt and the reason for any failure; null for silence.</param>
    /// <param name="cancellationToken">Cancels the download; cancellation throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>
    /// True when all four archives are in place; false, with the reason written to <paramref name="log"/>, when some
    /// archive could not be fetched from any mirror (no network, a mirror down, a wrong hash, a disk error).
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null, empty or white space.</exception>
    public static async Task<bool> TryDownloadAsync(
        string directory, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        using var handler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout };
        using var client = new HttpClient(handler) { Timeout = PerFileTimeout };
        return await TryDownloadAsync(
            directory, Mirrors, Archives, (uri, ct) => client.GetStreamAsync(uri, ct), log, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The download logic with the network and the expected files supplied by the caller, for tests.</summary>
    /// <param name="directory">Where the archives go.</param>
    /// <param name="mirrors">Base addresses, tried in order; each archive's name is appended.</param>
    /// <param name="archives">What to fetch and how to recognise a good copy.</param>
    /// <param name="fetch">Opens the body of one address.</param>
    /// <param name="log">Receives progress and failures; may be null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    internal static async Task<bool> TryDownloadAsync(
        string directory,
        IReadOnlyList<Uri> mirrors,
        IReadOnlyList<MnistArchive> archives,
        Func<Uri, CancellationToken, Task<Stream>> fetch,
        TextWriter? log,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log?.WriteLine($"Cannot create {directory}: {ex.Message}");
            return false;
        }

        foreach (var archive in archives)
        {
            string target = Path.Combine(directory, archive.FileName);
            if (await IsAlreadyPresentAsync(target, archive, cancellationToken).ConfigureAwait(false))
            {
                log?.WriteLine($"{archive.FileName}: already present.");
                continue;
            }

            if (!await TryFetchFromAnyMirrorAsync(target, archive, mirrors, fetch, log, cancellationToken).ConfigureAwait(false))
            {
                // The remaining archives are useless without this one, so stop instead of waiting on more timeouts.
                log?.WriteLine($"Could not download {archive.FileName} from any mirror; MNIST is not available.");
                return false;
            }
        }
        return true;
    }

    private static async Task<bool> TryFetchFromAnyMirrorAsync(
        string target, MnistArchive archive, IReadOnlyList<Uri> mirrors,
        Func<Uri, CancellationToken, Task<Stream>> fetch, TextWriter? log, CancellationToken cancellationToken)
    {
        foreach (var mirror in mirrors)
        {
            var source = new Uri(mirror, archive.FileName);
            log?.WriteLine($"Downloading {source} ...");
            string? fault = await TryFetchAsync(source, target, archive, fetch, cancellationToken).ConfigureAwait(false);
            if (fault is null)
            {
                log?.WriteLine($"  saved {target}");
                return true;
            }
            log?.WriteLine($"  failed: {fault}");
        }
        return false;
    }

    // Returns null on success, otherwise why this mirror's copy was not accepted.
    private static async Task<string?> TryFetchAsync(
        Uri source, string target, MnistArchive archive,
        Func<Uri, CancellationToken, Task<Stream>> fetch, CancellationToken cancellationToken)
    {
        // Same folder as the target, so the final rename stays on one file system and is atomic.
        string temporary = $"{target}.{Path.GetRandomFileName()}.part";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PerFileTimeout);
        try
        {
            string? fault;
            await using (var body = await fetch(source, timeout.Token).ConfigureAwait(false))
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                fault = await CopyAndVerifyAsync(body, file, archive, timeout.Token).ConfigureAwait(false);
            if (fault is null)
                File.Move(temporary, target, overwrite: true);
            return fault;
        }
        catch (Exception ex) when (IsDownloadFailure(ex, cancellationToken))
        {
            return ex is OperationCanceledException && timeout.IsCancellationRequested
                ? $"timed out after {PerFileTimeout.TotalMinutes} minutes"
                : ex.Message;
        }
        finally
        {
            // Gone already after a successful rename; otherwise a rejected or partial copy must not linger.
            TryDelete(temporary);
        }
    }

    private static async Task<string?> CopyAndVerifyAsync(
        Stream body, Stream file, MnistArchive archive, CancellationToken cancellationToken)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > archive.Size) // a mirror serving something else must not fill the disk
                return $"more than the expected {archive.Size} bytes";
            sha256.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        if (total != archive.Size)
            return $"got {total} bytes, expected {archive.Size}";
        string actual = Convert.ToHexStringLower(sha256.GetHashAndReset());
        return actual == archive.Sha256 ? null : $"SHA-256 mismatch: expected {archive.Sha256}, got {actual}";
    }

    // An unreadable or wrong existing copy is simply fetched again (and overwritten) rather than reported.
    private static async Task<bool> IsAlreadyPresentAsync(string path, MnistArchive archive, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
            return false;
        try
        {
            await using var file = File.OpenRead(path);
            byte[] hash = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash) == archive.Sha256;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Everything a mirror or the disk can do wrong; the caller's own cancellation is not a failure but a request.
    private static bool IsDownloadFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException or IOException or UnauthorizedAccessException or TimeoutException => true,
        _ => false,
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover *.part file is never read by Mnist.Load.
        }
    }
}
