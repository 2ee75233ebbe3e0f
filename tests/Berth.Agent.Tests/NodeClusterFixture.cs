using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.Client;
using Berth.Controllers.NodeIpam;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests;

/// <summary>
/// An API server on a random loopback port (SQLite in a temp directory) with three hollow nodes whose agents renew
/// their leases every 200 ms, plus the real kubectl and a client with node credentials for more agents.
/// </summary>
public sealed class NodeClusterFixture : IAsyncLifetime
{
    public static readonly NodeAgentTiming FastTiming = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));

    private readonly CancellationTokenSource _stopping = new();
    private LocalApiServer? _server;
    private Task? _agents;

    public Kubectl Kubectl => _server!.Kubectl;

    /// <summary>Where tests write their manifests.</summary>
    public TempDirectory Files { get; } = new("node-manifests");

    /// <summary>A client with node credentials, for agents a test starts itself.</summary>
    public ApiClient NodeClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync("nodes");
        NodeClient = _server.Client(_server.Host.IssueNodeCertificate("simulated"));
        var hollow = HollowNodes.Create(NodeClient, 3, NodeCapacity.Simulated, FastTiming, TimeProvider.System, NullLoggerFactory.Instance);
        // Node IPAM gives the hollow nodes the pod CIDRs their pods' addresses come from.
        var ipam = new NodeIpamController(_server.Client(_server.Host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System);
        _agents = Task.WhenAll(hollow.RunAsync(_stopping.Token), ipam.RunAsync(_stopping.Token));
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_agents is not null)
            await _agents;
        if (_server is not null)
            await _server.DisposeAsync();
        _stopping.Dispose();
        Files.Dispose();
    }

    /// <summary>An object read with kubectl as JSON.</summary>
    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;
}
