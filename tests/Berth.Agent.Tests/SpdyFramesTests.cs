using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Berth.Agent.Streaming.Spdy;

namespace Berth.Agent.Tests;

/// <summary>The SPDY/3.1 frames the agent sends to the runtime's stream server, byte for byte.</summary>
public sealed class SpdyFramesTests
{
    [Fact]
    public void SynStream_HasTheControlHeadTheStreamAndHeaderBlocksFromOneZlibStream()
    {
        using var frames = new SpdyFrames();

        var first = frames.SynStream(1, [new("streamtype", "error")]);
        var second = frames.SynStream(3, [new("streamtype", "stdout"), new("port", "80")]);

        foreach (var (frame, id) in new[] { (first, 1u), (second, 3u) })
        {
            Assert.Equal([0x80, 0x03, 0x00, 0x01, 0x00], frame[..5]);
            Assert.Equal(frame.Length - 8, (frame[5] << 16) | (frame[6] << 8) | frame[7]);
            Assert.Equal(id, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(8)));
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(12)));
        }
        // The second block continues the first's compression stream, as SPDY requires: only together do they inflate.
        using var inflate = new ZLibStream(new MemoryStream([.. first[18..], .. second[18..]]), CompressionMode.Decompress);
        Assert.Equal([("streamtype", "error")], ReadBlock(inflate));
        Assert.Equal([("streamtype", "stdout"), ("port", "80")], ReadBlock(inflate));
    }

    [Fact]
    public void Data_CarriesTheStreamFinAndPayload()
    {
        var frame = SpdyFrames.Data(5, "abc"u8, fin: true);

        Assert.Equal([0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x03, (byte)'a', (byte)'b', (byte)'c'], frame);
        Assert.Equal([0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00], SpdyFrames.Data(7, [], fin: false));
    }

    [Fact]
    public void Ping_EchoesItsId()
    {
        Assert.Equal([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02], SpdyFrames.Ping(2));
    }

    private static List<(string, string)> ReadBlock(Stream inflate)
    {
        var four = new byte[4];
        int Next()
        {
            inflate.ReadExactly(four);
            return BinaryPrimitives.ReadInt32BigEndian(four);
        }
        string Text()
        {
            var bytes = new byte[Next()];
            inflate.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }
        return [.. Enumerable.Range(0, Next()).Select(_ => (Text(), Text()))];
    }
}
