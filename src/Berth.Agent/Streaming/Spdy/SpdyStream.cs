using System.Threading.Channels;

namespace Berth.Agent.Streaming.Spdy;

/// <summary>
/// One stream of a <see cref="SpdySession"/>: data frames in (held a few frames deep, so that a slow reader holds
/// back the connection rather than filling memory) and data frames out, each side ended by FIN.
/// </summary>
internal sealed class SpdyStream(SpdySession session, uint id)
{
    private readonly Channel<byte[]> _incoming = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
    private int _writeEnded;

    public uint Id { get; } = id;

    /// <summary>The data the server sends, until it ends the stream or the session ends.</summary>
    public IAsyncEnumerable<byte[]> ReadAllAsync(CancellationToken cancellationToken) => _incoming.Reader.ReadAllAsync(cancellationToken);

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Volatile.Read(ref _writeEnded) != 0 ? Task.CompletedTask : session.SendAsync(SpdyFrames.Data(Id, data.Span, fin: false), cancellationToken);

    /// <summary>Ends this side of the stream (the process sees its stdin close).</summary>
    public Task EndWriteAsync(CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref _writeEnded, 1) != 0 ? Task.CompletedTask : session.SendAsync(SpdyFrames.Data(Id, [], fin: true), cancellationToken);

    internal ValueTask DeliverAsync(byte[] data, CancellationToken cancellationToken) =>
        _incoming.Writer.TryWrite(data) ? ValueTask.CompletedTask : WaitToDeliverAsync(data, cancellationToken);

    internal void EndIncoming() => _incoming.Writer.TryComplete();

    private async ValueTask WaitToDeliverAsync(byte[] data, CancellationToken cancellationToken)
    {
        try
        {
            await _incoming.Writer.WriteAsync(data, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Data after the end (a reset stream) is dropped.
        }
    }
}
