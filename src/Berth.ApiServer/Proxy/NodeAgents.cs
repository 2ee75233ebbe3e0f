using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Berth.Core.Networking;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Proxy;

/// <summary>
/// How the API server reaches node agents' endpoints (logs, exec, attach, port-forward): at the node's InternalIP and the port in its
/// <c>status.daemonEndpoints.kubeletEndpoint</c>, over HTTPS with the API server's agent client certificate. Like
/// upstream's API server without <c>--kubelet-certificate-authority</c>, it does not check the agent's certificate,
/// which the agent makes itself.
/// </summary>
internal sealed class NodeAgents(X509Certificate2 clientCertificate) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = [clientCertificate],
#pragma warning disable CA5359 // The agent's certificate is self-made; upstream does not verify it either unless told a CA.
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
        },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The base address of a node's agent, or null when the Node gives none.</summary>
    public static Uri? AddressOf(JsonNode node)
    {
        var address = (node["status"]?["addresses"] as JsonArray ?? []).FirstOrDefault(a => a?["type"]?.ToString() == "InternalIP")?["address"]?.ToString();
        var port = node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.GetValue<int>() ?? 0;
        if (address is null || port <= 0)
            return null;
        var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return new Uri($"https://{host}:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>
    /// Sends a request asking to switch protocols (exec, attach, port-forward) on a connection of its own, and returns
    /// the connection and the agent's answer; after a 101 the connection carries the new protocol.
    /// </summary>
    public async Task<(Stream Connection, HttpHead? Head)> UpgradeAsync(Uri agent, string method, string pathAndQuery,
        IEnumerable<KeyValuePair<string, string>> fields, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(agent.IdnHost, agent.Port, cancellationToken);
            var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = agent.IdnHost,
                ClientCertificates = [clientCertificate],
                ApplicationProtocols = [SslApplicationProtocol.Http11],
#pragma warning disable CA5359 // As above.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
            }, cancellationToken);
            var head = HttpHead.Request(method, "/" + pathAndQuery, [new("Host", agent.Authority), .. fields]);
            await tls.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
            await tls.FlushAsync(cancellationToken);
            return (tls, await HttpHead.ReadAsync(tls, cancellationToken));
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends a GET to the agent and returns as soon as its head arrives, so a followed body streams.</summary>
    public Task<HttpResponseMessage> GetAsync(Uri agent, string pathAndQuery, CancellationToken cancellationToken) =>
        _http.GetAsync(new Uri(agent, pathAndQuery), HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    public void Dispose() => _http.Dispose();
}
