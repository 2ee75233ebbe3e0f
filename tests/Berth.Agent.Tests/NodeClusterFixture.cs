using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.ApiServer;
using Berth.Client;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests;

/// <summary>
/// An API server on a random loopback port (SQLite in a temp directory) with three hollow nodes whose agents renew
/// their leases every 200 ms, plus the real kubectl and a client with node credentials for more agents.
/// </summary>
public sealed class NodeClusterFixture : IAsyncLifetime
{
    public static readonly NodeAgentTiming FastTiming = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));

    private readonly TempDirectory _directory = new("nodes");
    private readonly CancellationTokenSource _stopping = new();
    private SqliteStore? _store;
    private ApiServerHost? _host;
    private Task? _agents;

    public Kubectl Kubectl { get; private set; } = null!;

    /// <summary>Where tests write their manifests.</summary>
    public TempDirectory Files { get; } = new("node-manifests");

    /// <summary>A client with node credentials, for agents a test starts itself.</summary>
    public ApiClient NodeClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db"), WatchProgressInterval = TimeSpan.FromMilliseconds(500) });
        _host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDir = _directory.Path, HttpsPort = 0 }, _store, NullLoggerFactory.Instance, CancellationToken.None);
        NodeClient = ApiClient.Create(_host.Url, _host.CertificateAuthority, _host.IssueNodeCertificate("simulated"));
        var hollow = HollowNodes.Create(NodeClient, 3, NodeCapacity.Simulated, FastTiming, TimeProvider.System, NullLoggerFactory.Instance);
        _agents = hollow.RunAsync(_stopping.Token);
        Kubectl = new Kubectl(_host.KubeconfigPath, _directory.File("kube-cache"));
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_agents is not null)
            await _agents;
        NodeClient?.Dispose();
        if (_host is not null)
            await _host.DisposeAsync();
        if (_store is not null)
            await _store.DisposeAsync();
        _stopping.Dispose();
        Files.Dispose();
        _directory.Dispose();
    }

    /// <summary>An object read with kubectl as JSON.</summary>
    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;
}
