using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Berth.Agent.Streaming.Spdy;

/// <summary>
/// The client's side of a SPDY/3.1 session over an upgraded connection, as the runtime's stream server expects it
/// for exec and attach: the client opens one stream per channel (odd IDs, named by a <c>streamtype</c> header) and
/// sends and receives data on them; the server answers pings. Flow control is not used: upstream's implementation
/// neither sends nor waits for window updates, so a slow reader holds back the connection as TCP does. The server's
/// header blocks are skipped unread: the remote-command protocol says nothing in them the client needs.
/// </summary>
internal sealed class SpdySession : IAsyncDisposable
{
    private const uint StatusCancel = 5;

    private readonly Stream _connection;
    private readonly SpdyFrames _frames = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _reading;
    private uint _nextStreamId = 1;

    public SpdySession(Stream connection)
    {
        _connection = connection;
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>Opens a stream with <paramref name="headers"/>; the server may use it at once.</summary>
    public async Task<SpdyStream> OpenAsync(IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var stream = new SpdyStream(this, _nextStreamId);
            _nextStreamId += 2;
            _streams[stream.Id] = stream;
            await WriteLockedAsync(_frames.SynStream(stream.Id, headers), cancellationToken);
            return stream;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal async Task SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await WriteLockedAsync(frame, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed.IsCancellationRequested)
        {
            try
            {
                using var shortly = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await SendAsync(SpdyFrames.GoAway(0), shortly.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server is gone already.
            }
            await _closed.CancelAsync();
        }
        await _connection.DisposeAsync();
        await _reading;
        _frames.Dispose();
        _writeLock.Dispose();
        _closed.Dispose();
    }

    private async Task WriteLockedAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _connection.WriteAsync(frame, cancellationToken);
        await _connection.FlushAsync(cancellationToken);
    }

    private async Task ReadLoopAsync()
    {
        var head = new byte[8];
        try
        {
            while (true)
            {
                await _connection.ReadExactlyAsync(head, _closed.Token);
                var length = (head[5] << 16) | (head[6] << 8) | head[7];
                var payload = new byte[length];
                await _connection.ReadExactlyAsync(payload, _closed.Token);
                if ((head[0] & 0x80) == 0)
                {
                    var id = BinaryPrimitives.ReadUInt32BigEndian(head) & 0x7fffffff;
                    if (_streams.TryGetValue(id, out var stream))
                    {
                        if (length > 0)
                            await stream.DeliverAsync(payload, _closed.Token);
                        if ((head[4] & SpdyFrames.FlagFin) != 0)
                            stream.EndIncoming();
                    }
                    continue;
                }
                switch ((SpdyControl)BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(2)))
                {
                    case SpdyControl.Ping:
                        await SendAsync(payload, head, _closed.Token);
                        break;
                    case SpdyControl.SynReply or SpdyControl.Headers when (head[4] & SpdyFrames.FlagFin) != 0:
                        if (_streams.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff, out var finished))
                            finished.EndIncoming();
                        break;
                    case SpdyControl.RstStream:
                        if (_streams.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff, out var reset))
                            reset.EndIncoming();
                        break;
                    case SpdyControl.SynStream:
                        // A client session takes no streams from the server.
                        await SendAsync(SpdyFrames.RstStream(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff, StatusCancel), _closed.Token);
                        break;
                    case SpdyControl.GoAway:
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended; so does every stream on it.
        }
        finally
        {
            foreach (var stream in _streams.Values)
                stream.EndIncoming();
        }
    }

    /// <summary>Echoes a control frame back (a PING answer is the PING itself).</summary>
    private Task SendAsync(byte[] payload, byte[] head, CancellationToken cancellationToken) => SendAsync([.. head, .. payload], cancellationToken);
}
