using System.Globalization;
using System.Text;

namespace Berth.Agent.Streaming;

/// <summary>A response body in HTTP/1.1 chunked transfer coding over <paramref name="inner"/>: each write one chunk, disposal the last.</summary>
internal sealed class ChunkedWriteStream(Stream inner) : Stream
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private bool _ended;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
            return;
        await inner.WriteAsync(Encoding.ASCII.GetBytes(buffer.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
        await inner.WriteAsync(Crlf, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the body is written asynchronously");

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    /// <summary>Writes the last chunk: the body is complete.</summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        if (_ended)
            return;
        _ended = true;
        await inner.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
