using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.ApiServer;
using Berth.Client;
using Berth.Scheduler.Configuration;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Scheduler.Tests;

/// <summary>
/// An API server on a random loopback port (SQLite in a temp directory), three hollow nodes with 4 CPUs and 8Gi
/// each, and the scheduler with the default profile (or the configuration a derived fixture gives); the real kubectl
/// drives it.
/// </summary>
public class SchedulerClusterFixture : IAsyncLifetime
{
    private static readonly NodeAgentTiming FastTiming = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));

    private readonly TempDirectory _directory = new("scheduler");
    private readonly CancellationTokenSource _stopping = new();
    private SqliteStore? _store;
    private ApiServerHost? _host;
    private ApiClient? _nodeClient;
    private ApiClient? _schedulerClient;
    private Task? _running;

    private readonly SchedulerConfiguration _configuration;

    public SchedulerClusterFixture()
        : this(SchedulerConfiguration.Default)
    {
    }

    protected SchedulerClusterFixture(SchedulerConfiguration configuration) => _configuration = configuration;

    public Kubectl Kubectl { get; private set; } = null!;

    public TempDirectory Files { get; } = new("scheduler-manifests");

    public async Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db"), WatchProgressInterval = TimeSpan.FromMilliseconds(500) });
        _host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDir = _directory.Path, HttpsPort = 0 }, _store, NullLoggerFactory.Instance, CancellationToken.None);
        _nodeClient = ApiClient.Create(_host.Url, _host.CertificateAuthority, _host.IssueNodeCertificate("simulated"));
        _schedulerClient = ApiClient.Create(_host.Url, _host.CertificateAuthority, _host.ControllerManagerCertificate);
        var nodes = HollowNodes.Create(_nodeClient, 3, new NodeCapacity("4", "8Gi", "100Gi", 110), FastTiming, TimeProvider.System, NullLoggerFactory.Instance);
        var scheduler = new Scheduler(_schedulerClient, _configuration, TimeProvider.System, NullLoggerFactory.Instance);
        _running = Task.WhenAll(nodes.RunAsync(_stopping.Token), scheduler.RunAsync(_stopping.Token));
        Kubectl = new Kubectl(_host.KubeconfigPath, _directory.File("kube-cache"));
        await Eventually.TrueAsync(async () => (await Kubectl.RunAsync("get", "node", "sim-2")).ExitCode == 0, TimeSpan.FromSeconds(30), "the nodes to register");
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_running is not null)
            await _running;
        _nodeClient?.Dispose();
        _schedulerClient?.Dispose();
        if (_host is not null)
            await _host.DisposeAsync();
        if (_store is not null)
            await _store.DisposeAsync();
        _stopping.Dispose();
        Files.Dispose();
        _directory.Dispose();
    }

    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;
}
