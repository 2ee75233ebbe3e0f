using System.Text;
using Berth.Agent.Runtime;
using Berth.Core.Networking;
using Grpc.Core;

namespace Berth.Agent.Streaming;

/// <summary>
/// <c>kubectl exec</c>, <c>attach</c> and <c>port-forward</c> as the API server passes them on: the agent finds the
/// pod's running container (or sandbox), asks the runtime for a stream URL, connects to the runtime's stream server
/// and only then switches protocols with the client, so that every failure is an HTTP answer the client can show.
/// exec and attach over WebSocket go through <see cref="RemoteCommandBridge"/>, port-forward over the plain WebSocket
/// protocol through <see cref="PortForwardBridge"/>; SPDY, and port-forward's SPDY inside WebSocket messages, are
/// carried byte for byte.
/// </summary>
public sealed class ContainerStreams(IContainerRuntime runtime, IStreamingRuntime streaming)
{
    /// <summary>The WebSocket protocol kubectl port-forward speaks: SPDY/3.1 carried in binary messages.</summary>
    private const string PortForwardOverWebSocket = "SPDY/3.1+portforward.k8s.io";

    private static readonly string[] PortForwardProtocols = ["portforward.k8s.io"];
    private static readonly string[] PortForwardWebSocketProtocols = [PortForwardOverWebSocket, PortForwardBridge.Protocol];

    /// <summary>exec or attach (<paramref name="command"/> null) of a pod's container.</summary>
    public Task ServeRemoteCommandAsync(Stream connection, HttpHead request, string ns, string pod, string container, IReadOnlyList<string>? command,
        StreamOptions streams, CancellationToken cancellationToken) =>
        ServeAsync(connection, request, RemoteCommandBridge.WebSocketProtocols, RemoteCommandBridge.RuntimeProtocols, spdyRuntimeProtocols: null,
            async () =>
            {
                var id = await RunningContainerAsync(ns, pod, container, cancellationToken)
                    ?? throw new StreamTargetException(500, $"container not found (\"{container}\")");
                return command is null
                    ? await streaming.AttachAsync(id, streams, cancellationToken)
                    : await streaming.ExecAsync(id, command, streams, cancellationToken);
            },
            (client, protocol, runtimeConnection) => RemoteCommandBridge.RunAsync(client, protocol, runtimeConnection, streams, cancellationToken),
            cancellationToken);

    /// <summary>
    /// port-forward into a pod's network namespace: over SPDY (or SPDY in WebSocket messages, kubectl's) the client
    /// names a port per connection; over the plain WebSocket protocol the request names them (<c>port</c>, upstream's
    /// kubelet parameter, each a number or several separated by commas).
    /// </summary>
    public async Task ServePortForwardAsync(Stream connection, HttpHead request, string ns, string pod, IReadOnlyList<string> portParameters,
        CancellationToken cancellationToken)
    {
        var ports = new List<int>();
        if (WebSocketHandshake.IsRequested(request) && WebSocketHandshake.Choose(request, PortForwardWebSocketProtocols) == PortForwardBridge.Protocol
            && PortForwardBridge.ParsePorts(portParameters, ports) is { } refusal)
        {
            await PlainResponses.RespondAsync(connection, 400, refusal, cancellationToken);
            return;
        }
        await ServeAsync(connection, request, PortForwardWebSocketProtocols, PortForwardProtocols, PortForwardProtocols,
            async () =>
            {
                var sandbox = (await runtime.ListPodSandboxesAsync(cancellationToken)).Where(s => s.Pod.Namespace == ns && s.Pod.Name == pod && s.Ready)
                    .MaxBy(s => s.CreatedAt) ?? throw new StreamTargetException(404, "pod does not exist");
                return await streaming.PortForwardAsync(sandbox.Id, cancellationToken);
            },
            async (client, protocol, runtimeConnection) =>
            {
                if (protocol == PortForwardBridge.Protocol)
                {
                    await PortForwardBridge.RunAsync(client, runtimeConnection, ports, cancellationToken);
                    return;
                }
                using var socket = WebSocketHandshake.Open(client);
                await WebSocketPipe.RunAsync(socket, runtimeConnection, cancellationToken);
            },
            cancellationToken);
    }

    /// <summary>
    /// What exec, attach and port-forward share: the client's protocol checked, the stream URL found, the runtime's
    /// stream server connected to (offered <paramref name="webSocketRuntimeProtocols"/> for a WebSocket client, else
    /// <paramref name="spdyRuntimeProtocols"/> or, when null, what the SPDY client offered), then the switch with the
    /// client: a WebSocket's connection goes to <paramref name="overWebSocket"/> once answered, SPDY is carried byte for byte.
    /// </summary>
    private static async Task ServeAsync(Stream connection, HttpHead request, string[] webSocketProtocols, IEnumerable<string> webSocketRuntimeProtocols,
        IEnumerable<string>? spdyRuntimeProtocols, Func<Task<Uri>> find, Func<Stream, string, Stream, Task> overWebSocket, CancellationToken cancellationToken)
    {
        var webSocket = WebSocketHandshake.IsRequested(request);
        var protocol = webSocket ? WebSocketHandshake.Choose(request, webSocketProtocols) : null;
        if (!webSocket && !IsSpdyUpgrade(request))
        {
            await PlainResponses.RespondAsync(connection, 400, "Upgrade request required", cancellationToken);
            return;
        }
        if (webSocket && protocol is null)
        {
            await PlainResponses.RespondAsync(connection, 400, $"none of the offered WebSocket protocols is supported; supported: {string.Join(", ", webSocketProtocols)}", cancellationToken);
            return;
        }
        var (url, code, error) = await UrlAsync(find);
        if (url is null)
        {
            await PlainResponses.RespondAsync(connection, code, error, cancellationToken);
            return;
        }
        var offered = webSocket ? webSocketRuntimeProtocols : spdyRuntimeProtocols ?? request.Values("X-Stream-Protocol-Version");
        var (runtimeConnection, runtimeHead, runtimeCode, runtimeError) = await RuntimeStreamServer.UpgradeAsync(url, offered, cancellationToken);
        if (runtimeConnection is null)
        {
            await PlainResponses.RespondAsync(connection, runtimeCode, runtimeError, cancellationToken);
            return;
        }
        await using (runtimeConnection)
        {
            if (webSocket)
            {
                await WebSocketHandshake.AnswerAsync(connection, request, protocol!, cancellationToken);
                await overWebSocket(connection, protocol!, runtimeConnection);
            }
            else
            {
                await SwitchToSpdyAsync(connection, runtimeHead!, cancellationToken);
                await BytePipe.RunAsync(connection, runtimeConnection, cancellationToken);
            }
        }
    }

    private static bool IsSpdyUpgrade(HttpHead request) => request.Values("Upgrade").Contains("SPDY/3.1", StringComparer.OrdinalIgnoreCase);

    /// <summary>The newest running instance of the pod's container, or null.</summary>
    private async Task<string?> RunningContainerAsync(string ns, string pod, string container, CancellationToken cancellationToken)
    {
        var sandboxes = (await runtime.ListPodSandboxesAsync(cancellationToken)).Where(s => s.Pod.Namespace == ns && s.Pod.Name == pod).ToList();
        if (sandboxes.Count == 0)
            throw new StreamTargetException(404, "pod does not exist");
        foreach (var sandbox in sandboxes.OrderByDescending(s => s.CreatedAt))
        {
            var running = (await runtime.ListContainersAsync(sandbox.Id, cancellationToken))
                .Where(c => c.Name == container && c.State == ContainerState.Running).MaxBy(c => c.Attempt);
            if (running is not null)
                return running.Id;
        }
        return null;
    }

    /// <summary>The stream URL, or the HTTP code and message that say why there is none (the runtime's errors as upstream's kubelet maps them).</summary>
    private static async Task<(Uri? Url, int Code, string Error)> UrlAsync(Func<Task<Uri>> find)
    {
        try
        {
            return (await find(), 200, "");
        }
        catch (StreamTargetException e)
        {
            return (null, e.Code, e.Message);
        }
        catch (RpcException e)
        {
            var code = e.StatusCode switch
            {
                StatusCode.NotFound => 404,
                StatusCode.ResourceExhausted => 429,
                StatusCode.InvalidArgument or StatusCode.FailedPrecondition => 400,
                _ => 500,
            };
            return (null, code, $"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
        }
    }

    /// <summary>Tells a SPDY client the runtime accepted, with the protocol version it chose.</summary>
    private static async Task SwitchToSpdyAsync(Stream connection, HttpHead runtimeHead, CancellationToken cancellationToken)
    {
        var fields = new List<KeyValuePair<string, string>> { new("Connection", "Upgrade"), new("Upgrade", "SPDY/3.1") };
        if (runtimeHead.Value("X-Stream-Protocol-Version") is { } chosen)
            fields.Add(new("X-Stream-Protocol-Version", chosen));
        await connection.WriteAsync(Encoding.ASCII.GetBytes(HttpHead.Response(101, "Switching Protocols", fields)), cancellationToken);
        await connection.FlushAsync(cancellationToken);
    }

    private sealed class StreamTargetException(int code, string message) : Exception(message)
    {
        public int Code { get; } = code;
    }
}
