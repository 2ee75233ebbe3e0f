using Berth.Agent.Streaming.Spdy;

namespace Berth.Agent.Streaming;

/// <summary>
/// Carries a port-forward between a client speaking upstream's WebSocket port-forward protocol (<c>v4.channel.k8s.io</c>
/// with the ports in the request, as the official client libraries do) and the runtime's stream server, which speaks
/// it over SPDY. On the WebSocket, the i-th port has data channel 2i and error channel 2i+1, each opened by a message
/// of the port number (two bytes, little-endian); then every binary message is its channel byte and data. On SPDY,
/// each port is a data and an error stream naming the port and a request ID. One connection per port, as upstream's
/// WebSocket port-forward has; the forward ends when the client closes or every port's connection has ended.
/// </summary>
internal sealed class PortForwardBridge
{
    public const string Protocol = "v4.channel.k8s.io";

    private readonly ChannelWebSocket _client;

    private PortForwardBridge(ChannelWebSocket client) => _client = client;

    public static async Task RunAsync(Stream client, Stream runtime, IReadOnlyList<int> ports, CancellationToken cancellationToken)
    {
        await using var session = new SpdySession(runtime);
        using var socket = new ChannelWebSocket(client);
        await new PortForwardBridge(socket).RunAsync(session, ports, cancellationToken);
    }

    /// <summary>The ports of the request's <c>port</c> parameters, or upstream's kubelet's message for the first bad one.</summary>
    public static string? ParsePorts(IReadOnlyList<string> parameters, List<int> ports)
    {
        if (parameters.Count == 0)
            return "query parameter \"port\" is required";
        foreach (var parameter in parameters)
        {
            if (parameter.Length == 0)
                return "query parameter \"port\" cannot be empty";
            foreach (var part in parameter.Split(','))
            {
                if (!ushort.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
                    return $"unable to parse \"{parameter}\" as a port";
                if (port < 1)
                    return $"port \"{parameter}\" must be > 0";
                ports.Add(port);
            }
        }
        return null;
    }

    private async Task RunAsync(SpdySession session, IReadOnlyList<int> ports, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var data = new SpdyStream[ports.Count];
        var errors = new SpdyStream[ports.Count];
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            var request = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            errors[i] = await session.OpenAsync([new("streamtype", "error"), new("port", port), new("requestid", request)], stop.Token);
            data[i] = await session.OpenAsync([new("streamtype", "data"), new("port", port), new("requestid", request)], stop.Token);
        }
        for (var i = 0; i < ports.Count; i++)
        {
            byte[] number = [(byte)(ports[i] & 0xFF), (byte)(ports[i] >> 8)];
            await _client.SendAsync((byte)(2 * i), number, stop.Token);
            await _client.SendAsync((byte)(2 * i + 1), number, stop.Token);
        }

        var fromClient = FromClientAsync(data, stop.Token);
        var toClient = Task.WhenAll(Enumerable.Range(0, ports.Count)
            .SelectMany(i => new[] { ToClientAsync(data[i], (byte)(2 * i), stop.Token), ToClientAsync(errors[i], (byte)(2 * i + 1), stop.Token) }));
        await Task.WhenAny(fromClient, toClient);
        try
        {
            await _client.CloseAsync(stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client left first.
        }
        await stop.CancelAsync();
        await Task.WhenAll(fromClient, toClient).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>The client's data for each port, until it closes; then every port's connection is ended.</summary>
    private async Task FromClientAsync(SpdyStream[] data, CancellationToken cancellationToken)
    {
        try
        {
            while (await _client.ReceiveAsync(cancellationToken) is var (channel, bytes))
            {
                if (channel % 2 == 0 && channel / 2 < data.Length && bytes.Length > 0)
                    await data[channel / 2].WriteAsync(bytes, cancellationToken);
            }
            foreach (var stream in data)
                await stream.EndWriteAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client is gone, or the forward ended.
        }
    }

    private async Task ToClientAsync(SpdyStream stream, byte channel, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var bytes in stream.ReadAllAsync(cancellationToken))
                await _client.SendAsync(channel, bytes, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client is gone.
        }
    }
}
