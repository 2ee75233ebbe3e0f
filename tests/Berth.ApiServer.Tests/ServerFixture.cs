using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Storage;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.ApiServer.Tests;

/// <summary>
/// A real API server on a random loopback port over HTTPS, with SQLite in a temp directory, plus clients for it:
/// the admin's HTTP client (client certificate) and the real kubectl with the generated kubeconfig.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("apiserver");
    private SqliteStore? _store;
    private ApiServerHost? _host;

    public Uri Url => _host!.Url;

    public IStore Store => _store!;

    public string KubeconfigPath => _host!.KubeconfigPath;

    /// <summary>The server's data directory (its TLS material and tokens are in <c>server/</c>).</summary>
    public string DataDir => _directory.Path;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>How many events each watch cache keeps; a subclass makes it small to reach past it.</summary>
    protected virtual int WatchCacheWindow => 10_000;

    /// <summary>How long events live; a subclass makes it short to watch them expire.</summary>
    protected virtual TimeSpan EventTtl => TimeSpan.FromHours(1);

    public Kubectl Kubectl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db"), WatchProgressInterval = TimeSpan.FromMilliseconds(500) });
        _host = await ApiServerHost.StartAsync(
            new ApiServerOptions { DataDir = _directory.Path, HttpsPort = 0, WatchCacheWindow = WatchCacheWindow, EventTtl = EventTtl }, _store, NullLoggerFactory.Instance, CancellationToken.None);
        Admin = CreateClient(withClientCertificate: true);
        Kubectl = new Kubectl(KubeconfigPath, _directory.File("kube-cache"));
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_host is not null)
            await _host.DisposeAsync();
        if (_store is not null)
            await _store.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>An HTTPS client that trusts the cluster CA, authenticated as admin or not at all.</summary>
    public HttpClient CreateClient(bool withClientCertificate) =>
        new(ClusterTls.Configure(new SocketsHttpHandler(), _directory.Path, withClientCertificate)) { BaseAddress = Url };

    /// <summary>Sends a request with a JSON body (or none) and returns the status code and the parsed answer.</summary>
    public async Task<(int Code, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? json = null, string contentType = "application/json", HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var response = await (client ?? Admin).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
