using System.Net.WebSockets;

namespace Berth.Agent.Streaming;

/// <summary>
/// A SPDY session carried in WebSocket messages (kubectl port-forward) to the runtime's stream server, which speaks it
/// bare: bytes both ways, unread. The session is over when either side ends, so both are closed then.
/// </summary>
internal static class WebSocketPipe
{
    private const int BufferSize = 32 * 1024;

    /// <summary>Carries the bytes of <paramref name="runtime"/> in binary messages of <paramref name="client"/>, both ways.</summary>
    public static async Task RunAsync(WebSocket client, Stream runtime, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(Quietly(FromWebSocketAsync(client, runtime, stop.Token)), Quietly(ToWebSocketAsync(runtime, client, stop.Token)));
        await stop.CancelAsync();
        if (client.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var shortly = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await Quietly(client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, shortly.Token));
        }
    }

    private static async Task FromWebSocketAsync(WebSocket from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            var received = await from.ReceiveAsync(buffer, cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
                return;
            await to.WriteAsync(buffer.AsMemory(0, received.Count), cancellationToken);
            await to.FlushAsync(cancellationToken);
        }
    }

    private static async Task ToWebSocketAsync(Stream from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            await to.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }

    /// <summary>A pipe's half, which ends with an error when its other side went away first.</summary>
    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The other side ended the session.
        }
    }
}
