using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.Storage;
using Berth.Testing;
using Berth.Testing.InProcess;

namespace Berth.ApiServer.Tests;

/// <summary>
/// A real API server on a random loopback port over HTTPS, with SQLite in a temp directory, plus clients for it:
/// the admin's HTTP client (client certificate) and the real kubectl with the generated kubeconfig.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    private LocalApiServer? _server;

    public Uri Url => _server!.Url;

    public IStore Store => _server!.Store;

    public string KubeconfigPath => _server!.Host.KubeconfigPath;

    /// <summary>The server's data directory (its TLS material and tokens are in <c>server/</c>).</summary>
    public string DataDir => _server!.Directory.Path;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>How much history each watch cache keeps; a subclass makes it small to reach past it.</summary>
    protected virtual WatchWindowSize WatchCacheWindow => WatchWindowSize.Default;

    /// <summary>How long events live; a subclass makes it short to watch them expire.</summary>
    protected virtual TimeSpan EventTtl => TimeSpan.FromHours(1);

    public Kubectl Kubectl => _server!.Kubectl;

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync("apiserver", options => options with { WatchCacheWindow = WatchCacheWindow, EventTtl = EventTtl });
        Admin = CreateClient(withClientCertificate: true);
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary>An HTTPS client that trusts the cluster CA, authenticated as admin or not at all.</summary>
    public HttpClient CreateClient(bool withClientCertificate) =>
        new(ClusterTls.Configure(new SocketsHttpHandler(), DataDir, withClientCertificate)) { BaseAddress = Url };

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

    /// <summary>A namespace of its own for a test, named <paramref name="prefix"/> and random characters.</summary>
    public async Task<string> CreateNamespaceAsync(string prefix)
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..10];
        var (code, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces", $$$"""{"metadata":{"name":"{{{name}}}"}}""");
        Xunit.Assert.Equal(201, code);
        return name;
    }

    /// <summary>The first <paramref name="count"/> events of a watch of <paramref name="path"/> (fewer if it ends first), within 30 s.</summary>
    public async Task<List<JsonNode>> ReadWatchEventsAsync(string path, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await Admin.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        Xunit.Assert.Equal(200, (int)response.StatusCode);
        Xunit.Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
        var events = new List<JsonNode>();
        while (events.Count < count && await reader.ReadLineAsync(deadline.Token) is { } line)
            events.Add(JsonNode.Parse(line)!);
        return events;
    }
}
