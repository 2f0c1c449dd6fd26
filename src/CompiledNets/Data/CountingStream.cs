using System;
using System.IO;

namespace CompiledNets;

/// <summary>
/// A read-only view of a file that counts the bytes it hands out and, from a given offset on, hands them out
/// one at a time. A decompressor reading through it can then be over-served by at most one byte at the end of its
/// stream, so the count tells exactly where the compressed data ended — which System.IO.Compression.DeflateStream does not say.
/// </summary>
internal sealed class CountingStream : Stream
{
    private readonly Stream _inner;
    private readonly long _exactFrom;

    public CountingStream(Stream inner, long start, long exactFrom)
    {
        _inner = inner;
        _exactFrom = exactFrom;
        Position = start;
        _inner.Seek(start, SeekOrigin.Begin);
    }

    /// <summary>The offset in the file of the next byte to hand out.</summary>
    public override long Position { get; set; }

    public override int Read(Span<byte> buffer)
    {
        int allowed = Position >= _exactFrom
            ? Math.Min(buffer.Length, 1)
            : (int)Math.Min(buffer.Length, _exactFrom - Position);
        int read = _inner.Read(buffer[..allowed]);
        Position += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
