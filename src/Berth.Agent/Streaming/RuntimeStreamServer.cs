using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Berth.Core.Networking;

namespace Berth.Agent.Streaming;

/// <summary>
/// Connections to the runtime's stream server (containerd's, on 127.0.0.1) at a URL CRI handed out: an HTTP/1.1
/// request asking to switch to SPDY/3.1 with the sub-protocols offered, and the server's answer.
/// </summary>
internal static class RuntimeStreamServer
{
    /// <summary>
    /// The upgraded connection and the server's head when it switched protocols; otherwise null and the server's
    /// status code and message.
    /// </summary>
    public static async Task<(Stream? Connection, HttpHead? Head, int Code, string Error)> UpgradeAsync(Uri url, IEnumerable<string> protocols, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(url.Host, url.Port, cancellationToken);
            var stream = tcp.GetStream();
            var fields = new List<KeyValuePair<string, string>>
            {
                new("Host", url.Authority),
                new("Connection", "Upgrade"),
                new("Upgrade", "SPDY/3.1"),
            };
            fields.AddRange(protocols.Select(p => new KeyValuePair<string, string>("X-Stream-Protocol-Version", p)));
            fields.Add(new("Content-Length", "0"));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(HttpHead.Request("POST", url.PathAndQuery, fields)), cancellationToken);
            var head = await HttpHead.ReadAsync(stream, cancellationToken);
            if (head?.StatusCode == 101)
                return (stream, head, 101, ""); // The stream owns the socket.
            var error = head is null ? "the runtime's stream server sent no answer" : await ReadBodyAsync(stream, head, cancellationToken);
            tcp.Dispose();
            return (null, null, head?.StatusCode is > 0 and var code ? code : 502, error);
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            return (null, null, 502, $"cannot reach the runtime's stream server at {url.Authority}: {e.Message}");
        }
    }

    private static async Task<string> ReadBodyAsync(Stream stream, HttpHead head, CancellationToken cancellationToken)
    {
        var length = int.TryParse(head.Value("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Min(l, 64 * 1024) : 0;
        var body = new byte[length];
        await stream.ReadAtLeastAsync(body, length, throwOnEndOfStream: false, cancellationToken);
        var text = Encoding.UTF8.GetString(body).Trim();
        return text.Length > 0 ? text : $"the runtime's stream server answered {head.Second} {head.Third}";
    }
}
