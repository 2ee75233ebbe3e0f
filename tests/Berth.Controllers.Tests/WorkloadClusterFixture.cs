using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.Client;
using Berth.Scheduler.Configuration;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>
/// A cluster that runs workloads: an API server in the process, three hollow nodes with 4 CPUs and 8Gi each that
/// report their pods' status quickly, the scheduler and the controllers; the real kubectl drives it. Each test works
/// in a namespace of its own.
/// </summary>
public sealed class WorkloadClusterFixture : IAsyncLifetime
{
    internal static readonly NodeAgentTiming FastTiming = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));

    private readonly CancellationTokenSource _stopping = new();
    private LocalApiServer? _server;
    private Task? _running;

    public Kubectl Kubectl => _server!.Kubectl;

    public TempDirectory Files { get; } = new("workload-manifests");

    /// <summary>An API client for tests that watch what happens (with the controller manager's credentials).</summary>
    public ApiClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync("workloads");
        var controllers = new ControllerManager(_server.Client(_server.Host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System);
        Client = _server.Client(_server.Host.ControllerManagerCertificate);
        _running = Task.WhenAll(RunNodesAndSchedulerAsync(_server, _stopping.Token), controllers.RunAsync(_stopping.Token));
        await Eventually.TrueAsync(async () => (await Kubectl.RunAsync("get", "node", "sim-2")).ExitCode == 0, TimeSpan.FromSeconds(30), "the nodes to register");
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_running is not null)
            await _running;
        if (_server is not null)
            await _server.DisposeAsync();
        _stopping.Dispose();
        Files.Dispose();
    }

    /// <summary>Runs the three hollow nodes and the scheduler against <paramref name="server"/> until cancelled.</summary>
    internal static Task RunNodesAndSchedulerAsync(LocalApiServer server, CancellationToken cancellationToken)
    {
        var host = server.Host;
        var nodes = HollowNodes.Create(server.Client(host.IssueNodeCertificate("simulated")), 3, new NodeCapacity("4", "8Gi", "100Gi", 110), FastTiming,
            TimeProvider.System, NullLoggerFactory.Instance);
        var scheduler = new Scheduler.Scheduler(server.Client(host.SchedulerCertificate), SchedulerConfiguration.Default, TimeProvider.System, NullLoggerFactory.Instance);
        return Task.WhenAll(nodes.RunAsync(cancellationToken), scheduler.RunAsync(cancellationToken));
    }

    /// <summary>A namespace for one test.</summary>
    public async Task<string> NamespaceAsync()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..10];
        await Kubectl.SucceedAsync("create", "namespace", name);
        return name;
    }

    /// <summary>Applies a manifest given as YAML text.</summary>
    public async Task ApplyAsync(string ns, string yaml) =>
        await Kubectl.SucceedAsync("apply", "-n", ns, "-f", await Files.WriteAsync(yaml));

    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;
}
