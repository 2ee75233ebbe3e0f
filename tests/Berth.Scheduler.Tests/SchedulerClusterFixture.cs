using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.Controllers.NodeIpam;
using Berth.Controllers.Volumes;
using Berth.Scheduler.Configuration;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Scheduler.Tests;

/// <summary>
/// An API server on a random loopback port (SQLite in a temp directory), three hollow nodes with 4 CPUs and 8Gi
/// each, the scheduler with the default profile (or the configuration a derived fixture gives), node IPAM and the
/// volume binder; the real kubectl drives it.
/// </summary>
public class SchedulerClusterFixture : IAsyncLifetime
{
    private static readonly NodeAgentTiming FastTiming = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));

    private readonly CancellationTokenSource _stopping = new();
    private LocalApiServer? _server;
    private Task? _running;

    private readonly SchedulerConfiguration _configuration;

    public SchedulerClusterFixture()
        : this(SchedulerConfiguration.Default)
    {
    }

    protected SchedulerClusterFixture(SchedulerConfiguration configuration) => _configuration = configuration;

    public Kubectl Kubectl => _server!.Kubectl;

    public TempDirectory Files { get; } = new("scheduler-manifests");

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync("scheduler");
        var nodes = HollowNodes.Create(_server.Client(_server.Host.IssueNodeCertificate("simulated")), 3, new NodeCapacity("4", "8Gi", "100Gi", 110), FastTiming, TimeProvider.System, NullLoggerFactory.Instance);
        var scheduler = new Scheduler(_server.Client(_server.Host.SchedulerCertificate), _configuration, TimeProvider.System, NullLoggerFactory.Instance);
        // Node IPAM gives the hollow nodes the pod CIDRs their pods' addresses come from.
        var ipam = new NodeIpamController(_server.Client(_server.Host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System);
        // The binder binds the claims that volume binding waits for.
        var binder = new PersistentVolumeBinder(_server.Client(_server.Host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System);
        _running = Task.WhenAll(nodes.RunAsync(_stopping.Token), scheduler.RunAsync(_stopping.Token), ipam.RunAsync(_stopping.Token), binder.RunAsync(_stopping.Token));
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

    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;
}
