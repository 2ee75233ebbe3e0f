using System.Text;
using Berth.Core.Networking;

namespace Berth.Core.Tests;

public sealed class HttpHeadTests
{
    [Fact]
    public async Task ReadAsync_ParsesARequestAndLeavesWhatFollowsUnread()
    {
        var bytes = Encoding.ASCII.GetBytes(
            "GET /exec/ns/pod/c?command=ls HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io\r\n" +
            "X-Stream-Protocol-Version: a\r\nx-stream-protocol-version: b\r\n\r\nNEXT");
        using var stream = new MemoryStream(bytes);

        var head = await HttpHead.ReadAsync(stream, CancellationToken.None);

        Assert.NotNull(head);
        Assert.Equal(("GET", "/exec/ns/pod/c?command=ls", "HTTP/1.1"), (head.First, head.Second, head.Third));
        Assert.Equal(["v5.channel.k8s.io", "v4.channel.k8s.io"], head.Values("sec-websocket-protocol"));
        Assert.Equal(["a", "b"], head.Values("X-Stream-Protocol-Version"));
        Assert.Equal("NEXT", Encoding.ASCII.GetString(stream.ToArray()[(int)stream.Position..]));
    }

    [Fact]
    public async Task ReadAsync_ParsesAResponsesStatus()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(HttpHead.Response(101, "Switching Protocols", [new("Upgrade", "SPDY/3.1")])));

        var head = await HttpHead.ReadAsync(stream, CancellationToken.None);

        Assert.Equal(101, head!.StatusCode);
        Assert.Equal("SPDY/3.1", head.Value("upgrade"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET / HTTP/1.1\r\nno colon here\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n")]
    public async Task ReadAsync_OfSomethingElse_IsNull(string text)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(text));

        Assert.Null(await HttpHead.ReadAsync(stream, CancellationToken.None));
    }
}
