using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.ApiServer;
using Berth.Client;
using Berth.Scheduler.Configuration;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>
/// A cluster that runs workloads: an API server on a random loopback port (SQLite in a temp directory), three hollow
/// nodes with 4 CPUs and 8Gi each that report their pods' status quickly, the scheduler and the controllers; the real
/// kubectl drives it. Each test works in a namespace of its own.
/// </summary>
public sealed class WorkloadClusterFixture : IAsyncLifetime
{
    private static readonly NodeAgentTiming FastTiming = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));

    private readonly TempDirectory _directory = new("workloads");
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ApiClient> _clients = [];
    private SqliteStore? _store;
    private ApiServerHost? _host;
    private Task? _running;

    public Kubectl Kubectl { get; private set; } = null!;

    public TempDirectory Files { get; } = new("workload-manifests");

    public async Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db"), WatchProgressInterval = TimeSpan.FromMilliseconds(500) });
        _host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDir = _directory.Path, HttpsPort = 0 }, _store, NullLoggerFactory.Instance, CancellationToken.None);
        var nodeClient = Client(_host.IssueNodeCertificate("simulated"));
        var nodes = HollowNodes.Create(nodeClient, 3, new NodeCapacity("4", "8Gi", "100Gi", 110), FastTiming, TimeProvider.System, NullLoggerFactory.Instance);
        var scheduler = new Scheduler.Scheduler(Client(_host.ControllerManagerCertificate), SchedulerConfiguration.Default, TimeProvider.System, NullLoggerFactory.Instance);
        var controllers = new ControllerManager(Client(_host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System);
        _running = Task.WhenAll(nodes.RunAsync(_stopping.Token), scheduler.RunAsync(_stopping.Token), controllers.RunAsync(_stopping.Token));
        Kubectl = new Kubectl(_host.KubeconfigPath, _directory.File("kube-cache"));
        await Eventually.TrueAsync(async () => (await Kubectl.RunAsync("get", "node", "sim-2")).ExitCode == 0, TimeSpan.FromSeconds(30), "the nodes to register");
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_running is not null)
            await _running;
        foreach (var client in _clients)
            client.Dispose();
        if (_host is not null)
            await _host.DisposeAsync();
        if (_store is not null)
            await _store.DisposeAsync();
        _stopping.Dispose();
        Files.Dispose();
        _directory.Dispose();
    }

    /// <summary>A namespace for one test.</summary>
    public async Task<string> NamespaceAsync()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..10];
        await Kubectl.SucceedAsync("create", "namespace", name);
        return name;
    }

    /// <summary>Applies a manifest given as YAML text.</summary>
    public async Task ApplyAsync(string ns, string yaml)
    {
        var file = Files.File(Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, yaml);
        await Kubectl.SucceedAsync("apply", "-n", ns, "-f", file);
    }

    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;

    private ApiClient Client(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var client = ApiClient.Create(_host!.Url, _host.CertificateAuthority, certificate);
        _clients.Add(client);
        return client;
    }
}
