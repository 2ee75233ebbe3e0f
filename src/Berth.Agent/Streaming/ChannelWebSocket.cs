using System.Buffers.Binary;

namespace Berth.Agent.Streaming;

/// <summary>
/// The server's side of a WebSocket (RFC 6455) read frame by frame, as upstream's channel protocols need: the first
/// byte of every data frame names its channel, and clients such as the official C# library send each write as a
/// fragment of an unfinished message, which .NET's WebSocket cannot tell from a partly received frame. Pings are
/// answered; a close is answered and ends the reading. Server frames are sent whole, unmasked, one at a time.
/// </summary>
internal sealed class ChannelWebSocket(Stream connection) : IDisposable
{
    /// <summary>The largest frame taken: more than any client writes at once, small enough to hold.</summary>
    private const int MaxFrame = 16 * 1024 * 1024;

    private const int Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA;

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private bool _closeSent;

    /// <summary>The next data frame's channel and data, or null once the client has closed or gone.</summary>
    public async Task<(byte Channel, byte[] Data)?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var head = new byte[2];
            if (!await ReadAsync(head, cancellationToken))
                return null;
            var opcode = head[0] & 0x0F;
            var masked = (head[1] & 0x80) != 0;
            long length = head[1] & 0x7F;
            if (length >= 126)
            {
                var extended = new byte[length == 126 ? 2 : 8];
                if (!await ReadAsync(extended, cancellationToken))
                    return null;
                length = extended.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(extended) : (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
            }
            if (length is < 0 or > MaxFrame)
                throw new IOException($"a WebSocket frame of {length} bytes is more than the {MaxFrame} taken");
            var mask = new byte[masked ? 4 : 0];
            var payload = new byte[length];
            if (!await ReadAsync(mask, cancellationToken) || !await ReadAsync(payload, cancellationToken))
                return null;
            for (var i = 0; masked && i < payload.Length; i++)
                payload[i] ^= mask[i % 4];
            switch (opcode)
            {
                case Close:
                    await CloseAsync(cancellationToken);
                    return null;
                case Ping:
                    await SendFrameAsync(Pong, payload, cancellationToken);
                    break;
                case Continuation or Text or Binary when payload.Length > 0:
                    return (payload[0], payload[1..]);
            }
        }
    }

    /// <summary>One binary message: the channel byte, then the data.</summary>
    public Task SendAsync(byte channel, byte[] data, CancellationToken cancellationToken)
    {
        var payload = new byte[data.Length + 1];
        payload[0] = channel;
        data.CopyTo(payload, 1);
        return SendFrameAsync(Binary, payload, cancellationToken);
    }

    /// <summary>Sends a normal close, once.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_closeSent)
            return;
        _closeSent = true;
        await SendFrameAsync(Close, [0x03, 0xE8], cancellationToken);
    }

    public void Dispose() => _sendLock.Dispose();

    private async Task SendFrameAsync(int opcode, byte[] payload, CancellationToken cancellationToken)
    {
        var head = payload.Length switch
        {
            < 126 => new byte[] { (byte)(0x80 | opcode), (byte)payload.Length },
            <= ushort.MaxValue => [(byte)(0x80 | opcode), 126, (byte)(payload.Length >> 8), (byte)payload.Length],
            _ => [(byte)(0x80 | opcode), 127, 0, 0, 0, 0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length],
        };
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await connection.WriteAsync(head, cancellationToken);
            await connection.WriteAsync(payload, cancellationToken);
            await connection.FlushAsync(cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false if the connection ended first.</summary>
    private async Task<bool> ReadAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }
}
