using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;

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
    // Bytes before the trailer that the inflater is fed one at a time (see CountingStream): more than any
    // deflate end-of-stream code can need to straddle.
    private const int ExactTail = 64;

    private readonly Stream _stream;
    private readonly long? _plainLength;  // known up front for plain files; gzip sizes are known only by inflating
    private readonly GzipMember? _gzip;   // for .gz files: where the compressed data must end, and its trailer
    private long _position;               // uncompressed bytes consumed so far

    private IdxInput(string path, Stream stream, long? plainLength, GzipMember? gzip)
    {
        Path = path;
        _stream = stream;
        _plainLength = plainLength;
        _gzip = gzip;
    }

    /// <summary>What a .gz file's one member must satisfy once inflated: it ends at the trailer, which matches the data.</summary>
    private sealed class GzipMember(CountingStream compressed, long trailerOffset, uint crc, uint lengthMod32)
    {
        public CountingStream Compressed { get; } = compressed;
        public long TrailerOffset { get; } = trailerOffset;
        public uint DeclaredCrc { get; } = crc;
        public uint DeclaredLengthMod32 { get; } = lengthMod32;
        public Crc32 ActualCrc { get; } = new();
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
                : new IdxInput(path, file, file.Length, gzip: null);
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

        long dataStart = GzipHeader.Skip(file, path);
        long trailerOffset = file.Length - GzipTrailerSize;
        if (dataStart > trailerOffset)
            throw Corrupt(path, "is truncated: its gzip header runs into the trailer");
        Span<byte> trailer = stackalloc byte[GzipTrailerSize];
        file.Seek(trailerOffset, SeekOrigin.Begin);
        file.ReadExactly(trailer);

        // .NET's decompressors quietly stop at a cut-off stream and ignore bytes after it, so the reader checks for
        // itself, once the data is read, that the deflate stream ended exactly at the trailer and that the trailer's
        // CRC-32 and length match what was inflated.
        var compressed = new CountingStream(file, dataStart, exactFrom: Math.Max(dataStart, trailerOffset - ExactTail));
        var member = new GzipMember(compressed, trailerOffset,
            BinaryPrimitives.ReadUInt32LittleEndian(trailer), BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]));
        var inflater = new DeflateStream(compressed, CompressionMode.Decompress, leaveOpen: false);
        return new IdxInput(path, inflater, plainLength: null, member);
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
        if (_gzip is { } gzip)
        {
            if (gzip.Compressed.Position != gzip.TrailerOffset)
                throw Corrupt(gzip.Compressed.Position < gzip.TrailerOffset
                    ? $"has {gzip.TrailerOffset - gzip.Compressed.Position} bytes of trailing data after its gzip stream"
                    : "is a truncated or damaged gzip stream: its compressed data runs into the trailer");
            if (gzip.DeclaredLengthMod32 != (uint)_position)
                throw Corrupt("is a truncated or damaged gzip stream: it does not end with the gzip trailer of the data it holds");
            uint actualCrc = gzip.ActualCrc.GetCurrentHashAsUInt32();
            if (gzip.DeclaredCrc != actualCrc)
                throw Corrupt($"is not valid gzip data: the gzip trailer's CRC-32 0x{gzip.DeclaredCrc:X8} does not match the data's 0x{actualCrc:X8}");
        }
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
        _gzip?.ActualCrc.Append(destination[..total]);
        return total;
    }

    private InvalidDataException Corrupt(string fault, Exception? inner = null) => Corrupt(Path, fault, inner);

    /// <summary>The exception for a corrupt file: its message is the path followed by <paramref name="fault"/>.</summary>
    public static InvalidDataException Corrupt(string path, string fault, Exception? inner = null) =>
        new($"{path} {fault}.", inner);

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
