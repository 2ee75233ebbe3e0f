using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Controllers.Certificates;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>
/// What <c>berth server</c> runs, minus the node agent: a real API server on a random loopback port (SQLite in a
/// temp directory) and the controllers (the CSR signer with the cluster CA) as its clients over HTTPS, plus the real
/// kubectl and an admin HTTP client.
/// </summary>
public sealed class ControlPlaneFixture : IAsyncLifetime
{
    private readonly CancellationTokenSource _stopping = new();
    private LocalApiServer? _server;
    private Task? _controllers;

    public Kubectl Kubectl => _server!.Kubectl;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>An API client with the controller manager's credentials, for a controller a test runs itself.</summary>
    public ApiClient ControllerClient { get; private set; } = null!;

    /// <summary>A client of its own with the controller manager's credentials, for a test that counts its requests.</summary>
    public ApiClient NewControllerClient() => _server!.Client(_server.Host.ControllerManagerCertificate);

    /// <summary>The server's data directory (its TLS material and tokens are in <c>server/</c>).</summary>
    public string DataDir => _server!.Directory.Path;

    public Uri Url => _server!.Url;

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync("controlplane");
        var host = _server.Host;
        ControllerClient = _server.Client(host.ControllerManagerCertificate);
        _controllers = new ControllerManager(_server.Client(host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System,
            new ClusterCaSigner(host.SigningAuthority, TimeProvider.System), rootCaPem: host.CertificateAuthority.ExportCertificatePem() + "\n").RunAsync(_stopping.Token);
        Admin = new HttpClient(ClusterTls.Configure(new SocketsHttpHandler(), DataDir, withAdminCertificate: true)) { BaseAddress = Url };
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_controllers is not null)
            await _controllers;
        Admin?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Sends a request with a JSON body (or none) and returns the status code and the parsed answer.</summary>
    public async Task<(int Code, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        }
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Creates an object from JSON and returns it as stored (failing the test if that does not work).</summary>
    public async Task<JsonNode> CreateAsync(string path, string json)
    {
        var (code, body) = await SendAsync(HttpMethod.Post, path, json);
        Assert.True(code == 201, $"creating at {path}: {code} {body}");
        return body!;
    }
}
