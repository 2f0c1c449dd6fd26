using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace CompiledNets;

/// <summary>
/// The bytes of one IDX file, plain or gzip-compressed (by its <c>.gz</c> extension). Every way those bytes can be
/// wrong — short, too long, not gzip, a cut-off gzip stream — surfaces as an <see cref="InvalidDataException"/>
/// whose message starts with the file's path, so callers never see a decompressor's bare exception.
/// </summary>
internal sealed class IdxInput : IDisposable
{
    private const int GzipHeaderSize = 10;
    private const int GzipTrailerSize = 8; // CRC-32, then ISIZE: the uncompressed length mod 2^32
    private const int FirstChunk = 1 << 20;

    private readonly Stream _stream;
    private readonly long? _plainLength;     // known up front for plain files; gzip sizes are known only by inflating
    private readonly uint? _gzipLengthMod32; // the ISIZE field read from the end of a .gz file
    private long _position;                  // uncompressed bytes consumed so far

    private IdxInput(string path, Stream stream, long? plainLength, uint? gzipLengthMod32)
    {
        Path = path;
        _stream = stream;
        _plainLength = plainLength;
        _gzipLengthMod32 = gzipLengthMod32;
    }

    /// <summary>The file being read, as given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="path"/>; a name ending in <c>.gz</c> must hold gzip data.</summary>
    public static IdxInput Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? OpenGzip(path, file)
                : new IdxInput(path, file, file.Length, gzipLengthMod32: null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static IdxInput OpenGzip(string path, FileStream file)
    {
        if (file.Length < GzipHeaderSize + GzipTrailerSize)
            throw Corrupt(path, $"is truncated: {file.Length} bytes is too short for gzip data");

        Span<byte> bytes = stackalloc byte[4];
        file.ReadExactly(bytes[..2]);
        if (bytes[0] != 0x1F || bytes[1] != 0x8B)
            throw Corrupt(path, $"is not gzip data: starts with 0x{bytes[0]:X2} 0x{bytes[1]:X2}, expected 0x1F 0x8B");

        // .NET's GZipStream quietly ends early on a cut-off file (even one cut inside the compressed data), so
        // remember the declared length and compare it with what actually inflated once the reading is done. (A file of
        // several concatenated gzip members would fail this check too; MNIST archives are single members.)
        file.Seek(-4, SeekOrigin.End);
        file.ReadExactly(bytes);
        file.Seek(0, SeekOrigin.Begin);
        var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
        return new IdxInput(path, gzip, plainLength: null, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
    }

    /// <summary>Fills <paramref name="header"/> from the start of the file.</summary>
    /// <param name="header">Receives the header bytes.</param>
    /// <param name="what">Names the header in the message if the file is shorter than it.</param>
    public void ReadHeader(Span<byte> header, string what)
    {
        int filled = ReadAtMost(header);
        if (filled < header.Length)
            throw Corrupt($"is truncated: the {what} needs {header.Length} bytes but the data holds only {filled}");
    }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes, the rest of the file, then checks nothing follows them. The
    /// array grows only as data actually arrives, so a header that lies about the size cannot force a huge allocation.
    /// </summary>
    /// <param name="length">The byte count the header declares (already checked to fit in an array).</param>
    /// <param name="what">Describes the data in messages, e.g. "60000 images of 28×28".</param>
    public byte[] ReadBody(long length, string what)
    {
        if (_plainLength is long fileLength)
            CheckPlainLength(fileLength - _position, length, what);

        // A plain file's length is now known to be exact; a gzip stream's is only a claim until it is inflated.
        var buffer = new byte[_plainLength is null ? Math.Min(length, FirstChunk) : length];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            int read = ReadAtMost(buffer.AsSpan(filled));
            if (read == 0)
                throw Corrupt($"is truncated: the header declares {what} ({length} bytes) but the data ends after {filled} bytes");
            filled += read;
        }

        CheckAtEnd(what);
        return buffer;
    }

    private void CheckPlainLength(long remaining, long length, string what)
    {
        if (remaining < length)
            throw Corrupt($"is truncated: the header declares {what} ({length} bytes) but only {remaining} bytes follow it");
        if (remaining > length)
            throw Corrupt($"has {remaining - length} bytes of trailing data after the {what} its header declares");
    }

    private void CheckAtEnd(string what)
    {
        Span<byte> probe = stackalloc byte[1];
        if (ReadAtMost(probe) != 0)
            throw Corrupt($"has trailing data after the {what} its header declares");
        if (_gzipLengthMod32 is uint declared && declared != (uint)_position)
            throw Corrupt("is a truncated or damaged gzip stream: it does not end with the gzip trailer of the data it holds");
    }

    // Reads until the span is full or the data ends; the only place bytes leave the stream, so the only place a
    // decompressor's complaint needs translating.
    private int ReadAtMost(Span<byte> destination)
    {
        int total = 0;
        try
        {
            while (total < destination.Length)
            {
                int read = _stream.Read(destination[total..]);
                if (read == 0)
                    break;
                total += read;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            throw Corrupt($"is not valid gzip data ({ex.Message})", ex);
        }

        _position += total;
        return total;
    }

    private InvalidDataException Corrupt(string fault, Exception? inner = null) => Corrupt(Path, fault, inner);

    /// <summary>The exception for a corrupt file: its message is the path followed by <paramref name="fault"/>.</summary>
    public static InvalidDataException Corrupt(string path, string fault, Exception? inner = null) =>
        new($"{path} {fault}.", inner);

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
