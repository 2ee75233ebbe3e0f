using System.Text;
using Berth.Agent.Runtime;
using Berth.Agent.Streaming.Spdy;

namespace Berth.Agent.Streaming;

/// <summary>
/// Carries an exec or attach between a client speaking upstream's WebSocket remote-command protocol and the
/// runtime's stream server, which speaks it over SPDY (containerd 1.6 has no <c>v5.channel.k8s.io</c>). On the
/// WebSocket every binary message is one channel byte and its data: 0 stdin, 1 stdout, 2 stderr, 3 the final Status,
/// 4 terminal resizes, and with v5, 255 "this stream is closed" (stdin's end, which v4 cannot say). On SPDY each
/// channel is a stream, and stdin's end is a FIN: what <c>kubectl cp</c> into a pod and <c>exec -i</c> with piped input
/// need.
/// </summary>
internal sealed class RemoteCommandBridge
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";

    /// <summary>The WebSocket protocols offered to clients, preferred first.</summary>
    public static readonly string[] WebSocketProtocols = [V5, V4];

    /// <summary>The protocol spoken to the runtime: the newest its stream server knows.</summary>
    public static readonly string[] RuntimeProtocols = [V4];

    private const byte Stdin = 0, Stdout = 1, Stderr = 2, Error = 3, Resize = 4, Close = 255;
    private static readonly byte[] Success = Encoding.UTF8.GetBytes("""{"metadata":{},"status":"Success"}""");

    private readonly ChannelWebSocket _client;
    private readonly bool _canCloseStdin;

    private RemoteCommandBridge(ChannelWebSocket client, string protocol) => (_client, _canCloseStdin) = (client, protocol == V5);

    /// <summary>
    /// Runs until the command ends (its Status sent, the WebSocket closed) or the client leaves; <paramref name="protocol"/>
    /// is the one agreed with the client.
    /// </summary>
    public static async Task RunAsync(Stream client, string protocol, Stream runtime, StreamOptions streams, CancellationToken cancellationToken)
    {
        await using var session = new SpdySession(runtime);
        using var socket = new ChannelWebSocket(client);
        var bridge = new RemoteCommandBridge(socket, protocol);
        await bridge.RunAsync(session, streams, cancellationToken);
    }

    private async Task RunAsync(SpdySession session, StreamOptions streams, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<SpdyStream> Open(string type) => session.OpenAsync([new("streamtype", type)], stop.Token);
        var error = await Open("error");
        var stdin = streams.Stdin ? await Open("stdin") : null;
        var stdout = streams.Stdout ? await Open("stdout") : null;
        var stderr = streams.Stderr && !streams.Tty ? await Open("stderr") : null;
        var resize = streams.Tty ? await Open("resize") : null;

        var fromClient = FromClientAsync(stdin, resize, stop.Token);
        var output = Task.WhenAll(ToClientAsync(stdout, Stdout, stop.Token), ToClientAsync(stderr, Stderr, stop.Token));
        var status = ReadAllAsync(error, stop.Token);
        if (await Task.WhenAny(fromClient, Task.WhenAll(output, status)) == fromClient)
        {
            // The client left: nothing more to say to it.
            await stop.CancelAsync();
            await Task.WhenAll(output, status).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        var final = await status;
        await _client.SendAsync(Error, final.Length > 0 ? final : Success, stop.Token);
        await _client.CloseAsync(stop.Token);
        await stop.CancelAsync();
        await fromClient.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Stdin, resizes and (v5) stdin's end, from the client's frames, until it closes.</summary>
    private async Task FromClientAsync(SpdyStream? stdin, SpdyStream? resize, CancellationToken cancellationToken)
    {
        try
        {
            while (await _client.ReceiveAsync(cancellationToken) is var (channel, data))
            {
                switch (channel)
                {
                    case Stdin when stdin is not null && data.Length > 0:
                        await stdin.WriteAsync(data, cancellationToken);
                        break;
                    case Resize when resize is not null && data.Length > 0:
                        await resize.WriteAsync(data, cancellationToken);
                        break;
                    case Close when _canCloseStdin && stdin is not null && data.Length > 0 && data[0] == Stdin:
                        await stdin.EndWriteAsync(cancellationToken);
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client is gone, or the command ended.
        }
    }

    private async Task ToClientAsync(SpdyStream? stream, byte channel, CancellationToken cancellationToken)
    {
        if (stream is null)
            return;
        try
        {
            await foreach (var data in stream.ReadAllAsync(cancellationToken))
                await _client.SendAsync(channel, data, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client is gone; the command's end is what matters now.
        }
    }

    private static async Task<byte[]> ReadAllAsync(SpdyStream stream, CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        await foreach (var data in stream.ReadAllAsync(cancellationToken))
            all.Write(data);
        return all.ToArray();
    }
}
