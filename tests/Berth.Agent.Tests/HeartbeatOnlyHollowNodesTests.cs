using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.Controllers.NodeIpam;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests;

/// <summary>Hollow nodes without pod handling (<c>--simulated-nodes-heartbeat-only</c>, bench-scheduler's nodes): Ready and renewing, but running nothing.</summary>
public sealed class HeartbeatOnlyHollowNodesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HeartbeatOnlyNodes_WhenAPodIsBoundToOne_ThenTheNodeKeepsRenewingAndThePodStaysPendingWithNoContainers()
    {
        await using var server = await LocalApiServer.StartAsync("heartbeat-only");
        using var stop = new CancellationTokenSource();
        var nodes = HollowNodes.Create(server.Client(server.Host.IssueNodeCertificate("simulated")), 1, NodeCapacity.Simulated, NodeClusterFixture.FastTiming,
            TimeProvider.System, NullLoggerFactory.Instance, runPods: false);
        // As in the server, node IPAM gives the node a pod CIDR (which a node that runs pods waits for to be Ready).
        var ipam = new NodeIpamController(server.Client(server.Host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System);
        var running = Task.WhenAll(nodes.RunAsync(stop.Token), ipam.RunAsync(stop.Token));
        await Eventually.TrueAsync(async () => (await server.Kubectl.RunAsync("get", "node", "sim-0")).ExitCode == 0, Deadline, "sim-0 to register");
        await server.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "node/sim-0", "--timeout=30s");

        using var files = new TempDirectory("heartbeat-only");
        var manifest = Path.Combine(files.Path, "pod.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: unstarted
            spec:
              nodeName: sim-0
              containers:
              - name: app
                image: registry.local/app:1
            """);
        await server.Kubectl.SucceedAsync("apply", "-f", manifest);
        var created = DateTimeOffset.Parse(Json(await server.Kubectl.SucceedAsync("get", "pod", "unstarted", "-o", "json"))["metadata"]!["creationTimestamp"]!.GetValue<string>(),
            CultureInfo.InvariantCulture);

        // A node that runs pods starts this one within a few of its 200 ms rounds; this one renews for three seconds more.
        await Eventually.TrueAsync(async () => await RenewedAsync(server) > created.AddSeconds(3), Deadline, "sim-0 to renew its lease for 3 s after the pod");
        var pod = Json(await server.Kubectl.SucceedAsync("get", "pod", "unstarted", "-o", "json"));
        Assert.Equal("Pending", pod["status"]!["phase"]!.GetValue<string>());
        Assert.Null(pod["status"]!["containerStatuses"]);
        Assert.Equal("True", await ReadyAsync(server));

        await stop.CancelAsync();
        await running;
    }

    private static JsonNode Json((int ExitCode, string Out, string Err) result) => JsonNode.Parse(result.Out)!;

    private static async Task<DateTimeOffset> RenewedAsync(LocalApiServer server) =>
        DateTimeOffset.Parse((await server.Kubectl.SucceedAsync("get", "lease", "sim-0", "-n", "kube-node-lease", "-o", "jsonpath={.spec.renewTime}")).Out, CultureInfo.InvariantCulture);

    private static async Task<string> ReadyAsync(LocalApiServer server) =>
        (await server.Kubectl.SucceedAsync("get", "node", "sim-0", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Out;
}
