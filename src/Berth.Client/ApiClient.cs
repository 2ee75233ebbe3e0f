using System.Buffers;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Client;

/// <summary>
/// A connection to the API server for Berth's own components: HTTPS that trusts the cluster CA only, a client
/// certificate, and HTTP/2 so that every watch of a component shares one connection. Requests carry JSON and
/// answers come back as <see cref="ApiResult"/> values; only transport failures throw.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Dictionary<string, Informers.WatchSource> _watchSources = new(StringComparer.Ordinal);

    private ApiClient(HttpClient http)
    {
        _http = http;
    }

    /// <summary>Connects to <paramref name="server"/>, trusting only <paramref name="authority"/>, as the owner of <paramref name="clientCertificate"/>.</summary>
    public static ApiClient Create(Uri server, X509Certificate2 authority, X509Certificate2 clientCertificate)
    {
        var handler = Handler(authority);
        handler.SslOptions.ClientCertificates = [clientCertificate];
        return new ApiClient(Http(server, handler));
    }

    /// <summary>
    /// Connects to <paramref name="server"/>, trusting only <paramref name="authority"/>, with a bearer token (a node
    /// agent's join token, until it has a certificate of its own).
    /// </summary>
    public static ApiClient Create(Uri server, X509Certificate2 authority, string bearerToken)
    {
        var http = Http(server, Handler(authority));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        return new ApiClient(http);
    }

    private const int MaxConnections = 8;

    private static SocketsHttpHandler Handler(X509Certificate2 authority)
    {
        var handler = new SocketsHttpHandler
        {
            // Streams beyond one connection's limit (the server allows 250) open more connections, but only a few:
            // without a cap, thousands of concurrent requests (5,000 hollow nodes' heartbeats) on a busy server opened
            // thousands of connections whose TLS handshakes then took the CPU, timed out and were retried.
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = MaxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            // A watch stream's receive window as Go's HTTP/2 client (client-go, kubectl) opens it: 4 MiB. With the
            // 64 KiB default a busy server sends a window's worth, then waits for the client's window update, a round
            // trip that a loaded server stretches to tens of milliseconds: a pod watch then carried fewer events a
            // second than pods were created, and the scheduler, once a long collection put it behind, stayed behind.
            InitialHttp2StreamWindowSize = 4 << 20,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && IssuedBy(certificate, authority);
        return handler;
    }

    private static HttpClient Http(Uri server, SocketsHttpHandler handler) => new(handler)
    {
        BaseAddress = server,
        DefaultRequestVersion = System.Net.HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public Task<ApiResult> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<ApiResult> DeleteAsync(string path, JsonObject? options, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, options, cancellationToken);

    public Task<ApiResult> PutAsync(string path, JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, path, body, cancellationToken);

    /// <summary>A JSON merge patch (RFC 7386).</summary>
    public Task<ApiResult> MergePatchAsync(string path, JsonObject patch, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, path, patch, cancellationToken, "application/merge-patch+json");

    public async Task<ApiResult> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken,
        string contentType = "application/json")
    {
        using var request = Request(method, path);
        if (body is not null)
        {
            // Written as UTF-8, not through a string, into room for most bodies (an event, a pod): a buffer growing from
            // the default 256 bytes copied a body several times.
            var json = new ArrayBufferWriter<byte>(2048);
            using (var writer = new Utf8JsonWriter(json))
                body.WriteTo(writer);
            request.Content = new ReadOnlyMemoryContent(json.WrittenMemory);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var response = await _http.SendAsync(request, cancellationToken);
        return new ApiResult((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    /// <summary>Opens a streaming GET (a watch); the caller reads the body as it arrives and disposes the response.</summary>
    public async Task<HttpResponseMessage> StreamAsync(string path, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, path);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response;
    }

    /// <summary>
    /// A request over HTTP/2 where the server speaks it: a request message does not take the client's default version
    /// on its own, and over HTTP/1.1 every request in flight and every watch holds a connection of its own.
    /// </summary>
    private HttpRequestMessage Request(HttpMethod method, string path) =>
        new(method, path) { Version = _http.DefaultRequestVersion, VersionPolicy = _http.DefaultVersionPolicy };

    public void Dispose() => _http.Dispose();

    /// <summary>The one list and watch of <paramref name="resource"/> (with <paramref name="selection"/>'s query) that this client's informers of it share.</summary>
    internal Informers.WatchSource WatchSourceFor(Discovery.ApiResource resource, string selection, Microsoft.Extensions.Logging.ILogger logger)
    {
        var key = resource.CollectionPath() + "?" + selection;
        lock (_watchSources)
        {
            if (!_watchSources.TryGetValue(key, out var source))
                _watchSources[key] = source = new Informers.WatchSource(this, resource, selection, logger);
            return source;
        }
    }

    private static bool IssuedBy(X509Certificate certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
