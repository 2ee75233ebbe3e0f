using System.Globalization;
using System.Text;
using Berth.Core.Networking;

namespace Berth.Agent.Streaming;

/// <summary>The agent endpoint's answers that are not streams: whole bodies (errors, health, usage) and the head of a chunked body.</summary>
internal static class PlainResponses
{
    private const string TextPlain = "text/plain; charset=utf-8";

    public static async Task RespondAsync(Stream stream, int code, string text, CancellationToken cancellationToken, string contentType = TextPlain)
    {
        var body = Encoding.UTF8.GetBytes(text);
        await WriteAsync(stream, code, contentType, new("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    public static Task WriteChunkedHeadAsync(Stream stream, int code, CancellationToken cancellationToken) =>
        WriteAsync(stream, code, TextPlain, new("Transfer-Encoding", "chunked"), cancellationToken);

    private static async Task WriteAsync(Stream stream, int code, string contentType, KeyValuePair<string, string> framing, CancellationToken cancellationToken)
    {
        var reason = code switch
        {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            429 => "Too Many Requests",
            502 => "Bad Gateway",
            _ => "Internal Server Error",
        };
        var head = HttpHead.Response(code, reason, [new("Content-Type", contentType), framing, new("Connection", "close")]);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
    }
}
