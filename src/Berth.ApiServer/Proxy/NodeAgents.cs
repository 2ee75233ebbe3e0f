using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Proxy;

/// <summary>
/// How the API server reaches node agents' endpoints (logs today): at the node's InternalIP and the port in its
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

    /// <summary>Sends a GET to the agent and returns as soon as its head arrives, so a followed body streams.</summary>
    public Task<HttpResponseMessage> GetAsync(Uri agent, string pathAndQuery, CancellationToken cancellationToken) =>
        _http.GetAsync(new Uri(agent, pathAndQuery), HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    public void Dispose() => _http.Dispose();
}
