using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Berth.Agent.Pods.Probes.Health;
using Berth.Agent.Runtime;
using Grpc.Core;
using Grpc.Net.Client;

namespace Berth.Agent.Pods.Probes;

/// <summary>
/// The handlers that reach a container over the network from the node, as upstream's kubelet does: <c>httpGet</c>
/// (2xx and 3xx succeed; redirects to other hosts are not followed), <c>tcpSocket</c> (a connection is enough) and
/// <c>grpc</c> (the standard health service answers SERVING). Their failure messages are upstream's.
/// </summary>
internal sealed class NetworkProbes : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        // Probes of https endpoints do not verify certificates, as upstream's do not: the pod's certificate is for
        // its clients' names, not its address.
#pragma warning disable CA5359
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
    });

    public void Dispose() => _http.Dispose();

    /// <summary>Runs a network handler against <paramref name="podIp"/>; null when the handler is not a network one.</summary>
    public async Task<HandlerResult?> RunAsync(JsonObject handler, string podIp, Func<string, int?> namedPort, CancellationToken cancellationToken)
    {
        if (handler["httpGet"] is JsonObject http)
            return await HttpGetAsync(http, podIp, namedPort, cancellationToken);
        if (handler["tcpSocket"] is JsonObject tcp)
            return await TcpAsync(tcp, podIp, namedPort, cancellationToken);
        if (handler["grpc"] is JsonObject grpc)
            return await GrpcAsync(grpc, podIp, cancellationToken);
        return null;
    }

    private async Task<HandlerResult> HttpGetAsync(JsonObject http, string podIp, Func<string, int?> namedPort, CancellationToken cancellationToken)
    {
        if (Port(http["port"], namedPort) is not { } port)
            return new HandlerResult(false, $"unknown port {http["port"]}");
        var scheme = http["scheme"]?.ToString()?.ToLowerInvariant() is "https" ? "https" : "http";
        var host = http["host"]?.ToString() is { Length: > 0 } given ? given : podIp;
        var path = http["path"]?.ToString() ?? "/";
        var url = new Uri($"{scheme}://{Host(host)}:{port.ToString(CultureInfo.InvariantCulture)}{(path.StartsWith('/') ? path : "/" + path)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.33");
        request.Headers.TryAddWithoutValidation("Accept", "*/*");
        foreach (var header in (http["httpHeaders"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = header["name"]?.ToString() ?? "";
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, header["value"]?.ToString() ?? "");
        }
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 400 ? HandlerResult.Success : new HandlerResult(false, $"HTTP probe failed with statuscode: {code}");
        }
        catch (HttpRequestException e)
        {
            return new HandlerResult(false, $"Get \"{url}\": {Dial(e.InnerException as SocketException, url.Host, port) ?? e.Message}");
        }
    }

    private static async Task<HandlerResult> TcpAsync(JsonObject tcp, string podIp, Func<string, int?> namedPort, CancellationToken cancellationToken)
    {
        if (Port(tcp["port"], namedPort) is not { } port)
            return new HandlerResult(false, $"unknown port {tcp["port"]}");
        var host = tcp["host"]?.ToString() is { Length: > 0 } given ? given : podIp;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            return HandlerResult.Success;
        }
        catch (SocketException e)
        {
            return new HandlerResult(false, Dial(e, host, port)!);
        }
    }

    private static async Task<HandlerResult> GrpcAsync(JsonObject grpc, string podIp, CancellationToken cancellationToken)
    {
        var port = grpc["port"]?.GetValue<int>() ?? 0;
        using var channel = GrpcChannel.ForAddress($"http://{Host(podIp)}:{port.ToString(CultureInfo.InvariantCulture)}");
        try
        {
            var answer = await new Health.Health.HealthClient(channel).CheckAsync(
                new HealthCheckRequest { Service = grpc["service"]?.ToString() ?? "" }, cancellationToken: cancellationToken);
            return answer.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? HandlerResult.Success
                : new HandlerResult(false, $"service unhealthy (responded with \"{ServingName(answer.Status)}\")");
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            return new HandlerResult(false, $"failed to connect service \"{podIp}:{port}\": {e.Status.Detail}");
        }
    }

    private static string ServingName(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };

    /// <summary>A port given as a number or as the name of one of the container's ports.</summary>
    private static int? Port(JsonNode? port, Func<string, int?> namedPort) => port switch
    {
        JsonValue value when value.TryGetValue<int>(out var number) => number,
        JsonValue value when value.TryGetValue<string>(out var text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : namedPort(text),
        _ => null,
    };

    private static string Host(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    /// <summary>A failed connection as Go's dialer words it: <c>dial tcp 10.42.0.5:80: connect: connection refused</c>.</summary>
    private static string? Dial(SocketException? e, string host, int port) => e is null ? null : e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"dial tcp {host}:{port}: connect: connection refused",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"dial tcp {host}:{port}: connect: no route to host",
        SocketError.TimedOut => $"dial tcp {host}:{port}: i/o timeout",
        _ => $"dial tcp {host}:{port}: {e.Message}",
    };
}
