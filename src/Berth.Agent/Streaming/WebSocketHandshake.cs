using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Berth.Core.Networking;

namespace Berth.Agent.Streaming;

/// <summary>The server's side of a WebSocket opening handshake (RFC 6455) on a connection the endpoint already read the request head of.</summary>
internal static class WebSocketHandshake
{
    private const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static bool IsRequested(HttpHead request) =>
        request.Values("Upgrade").Contains("websocket", StringComparer.OrdinalIgnoreCase) && request.Value("Sec-WebSocket-Key") is not null;

    /// <summary>The first of <paramref name="supported"/> (in order of preference) that the client offers, or null.</summary>
    public static string? Choose(HttpHead request, IEnumerable<string> supported)
    {
        var offered = request.Values("Sec-WebSocket-Protocol").ToHashSet(StringComparer.Ordinal);
        return supported.FirstOrDefault(offered.Contains);
    }

    /// <summary>Answers 101 with <paramref name="protocol"/>: the connection speaks WebSocket from here on.</summary>
    public static async Task AnswerAsync(Stream connection, HttpHead request, string protocol, CancellationToken cancellationToken)
    {
#pragma warning disable CA5350 // RFC 6455 names SHA-1 for the accept key; it proves nothing secret.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(request.Value("Sec-WebSocket-Key") + KeyGuid)));
#pragma warning restore CA5350
        var head = HttpHead.Response(101, "Switching Protocols",
        [
            new("Upgrade", "websocket"),
            new("Connection", "Upgrade"),
            new("Sec-WebSocket-Accept", accept),
            new("Sec-WebSocket-Protocol", protocol),
        ]);
        await connection.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        await connection.FlushAsync(cancellationToken);
    }

    /// <summary>.NET's WebSocket over an answered connection, for carrying whole messages.</summary>
    /// <remarks>
    /// The protocol is not given to .NET, which refuses names that are not RFC tokens: SPDY/3.1+portforward.k8s.io.
    /// Clients ping every few seconds (kubectl every 5); the server need not.
    /// </remarks>
    public static WebSocket Open(Stream connection) =>
        WebSocket.CreateFromStream(connection, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
}
