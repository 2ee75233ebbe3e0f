using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Berth.Agent.Streaming.Spdy;

/// <summary>
/// Writes SPDY/3.1 frames as upstream's stream servers (moby/spdystream) read them: control frames
/// <c>[1|version 3][type][flags][length 24][payload]</c>, data frames <c>[0|stream id][flags][length 24][data]</c>, all
/// big-endian. Header blocks are zlib-compressed as one stream per direction per connection, each block ended by a
/// sync flush. SPDY compresses with a preset dictionary, which a reader only needs when the writer announces one;
/// this writer announces none, so .NET's zlib is enough.
/// </summary>
internal sealed class SpdyFrames : IDisposable
{
    public const ushort Version = 3;

    public const byte FlagFin = 0x01;

    private readonly MemoryStream _compressed = new();
    private readonly ZLibStream _compressor;

    public SpdyFrames() => _compressor = new ZLibStream(_compressed, CompressionLevel.Fastest, leaveOpen: true);

    /// <summary>SYN_STREAM: opens stream <paramref name="streamId"/> with <paramref name="headers"/> (names in lower case).</summary>
    public byte[] SynStream(uint streamId, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var block = HeaderBlock(headers);
        var frame = Control(SpdyControl.SynStream, 0, 10 + block.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), streamId & 0x7fffffff);
        // Associated stream 0, priority 0, slot 0.
        block.CopyTo(frame.AsSpan(18));
        return frame;
    }

    /// <summary>A data frame; FIN ends this side of the stream.</summary>
    public static byte[] Data(uint streamId, ReadOnlySpan<byte> data, bool fin)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7fffffff);
        frame[4] = fin ? FlagFin : (byte)0;
        WriteLength(frame, data.Length);
        data.CopyTo(frame.AsSpan(8));
        return frame;
    }

    public static byte[] Ping(uint id)
    {
        var frame = Control(SpdyControl.Ping, 0, 4);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), id);
        return frame;
    }

    public static byte[] RstStream(uint streamId, uint status)
    {
        var frame = Control(SpdyControl.RstStream, 0, 8);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), streamId & 0x7fffffff);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(12), status);
        return frame;
    }

    public static byte[] GoAway(uint lastGoodStreamId)
    {
        var frame = Control(SpdyControl.GoAway, 0, 8);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), lastGoodStreamId & 0x7fffffff);
        return frame;
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _compressed.Dispose();
    }

    /// <summary>The next piece of this connection's compressed header stream: <paramref name="headers"/>, flushed.</summary>
    private byte[] HeaderBlock(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var plain = new MemoryStream();
        var length = new byte[4];
        void Put(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, value);
            plain.Write(length);
        }
        Put(headers.Count);
        foreach (var (name, value) in headers)
        {
            foreach (var text in (ReadOnlySpan<string>)[name, value])
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                Put(bytes.Length);
                plain.Write(bytes);
            }
        }
        _compressed.SetLength(0);
        _compressor.Write(plain.GetBuffer().AsSpan(0, (int)plain.Length));
        _compressor.Flush();
        return _compressed.ToArray();
    }

    private static byte[] Control(SpdyControl type, byte flags, int payloadLength)
    {
        var frame = new byte[8 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)type);
        frame[4] = flags;
        WriteLength(frame, payloadLength);
        return frame;
    }

    private static void WriteLength(byte[] frame, int length)
    {
        frame[5] = (byte)(length >> 16);
        frame[6] = (byte)(length >> 8);
        frame[7] = (byte)length;
    }
}

/// <summary>SPDY/3.1's control frame types.</summary>
internal enum SpdyControl : ushort
{
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
}
