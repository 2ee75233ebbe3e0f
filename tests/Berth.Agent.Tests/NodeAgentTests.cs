using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests;

/// <summary>Node registration and heartbeats through the real kubectl: hollow nodes, their leases, and agents that stop or restart.</summary>
public sealed class NodeAgentTests(NodeClusterFixture cluster) : IClassFixture<NodeClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HollowNodes_WhenRegistered_ThenKubectlShowsThemReadyWithUpstreamsConditionsAndTheirCapacity()
    {
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "node", "sim-2")).ExitCode == 0, Deadline, "sim-2 to register");

        var table = (await cluster.Kubectl.SucceedAsync("get", "nodes", "sim-0", "sim-1", "sim-2")).Out.Split('\n');
        Assert.Matches(@"^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$", table[0]);
        Assert.All(table[1..4], row => Assert.Matches(@"^sim-\d\s+Ready\s+<none>\s+\S+\s+v1\.33\.0-berth$", row));

        var node = await cluster.GetAsync("get", "node", "sim-1");
        Assert.Equal("""{"cpu":"32","ephemeral-storage":"1Ti","memory":"256Gi","pods":"110"}""", node["status"]!["capacity"]!.ToJsonString());
        Assert.Equal("sim-1", node["metadata"]!["labels"]!["kubernetes.io/hostname"]!.GetValue<string>());
        Assert.Equal("linux", node["metadata"]!["labels"]!["kubernetes.io/os"]!.GetValue<string>());
        var conditions = node["status"]!["conditions"]!.AsArray().Select(c => $"{c!["type"]}={c["status"]}:{c["reason"]}").ToList();
        Assert.Equal(["MemoryPressure=False:KubeletHasSufficientMemory", "DiskPressure=False:KubeletHasNoDiskPressure",
            "PIDPressure=False:KubeletHasSufficientPID", "Ready=True:KubeletReady"], conditions);
    }

    [Fact]
    public async Task Leases_WhileAgentsRun_ThenTheyAreRenewedAndOwnedByTheirNodes()
    {
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "lease", "sim-0", "-n", "kube-node-lease")).ExitCode == 0, Deadline, "sim-0's lease");
        var first = await LeaseAsync("sim-0");

        await Eventually.TrueAsync(async () => RenewTime(await LeaseAsync("sim-0")) != RenewTime(first), Deadline, "sim-0 to renew its lease");

        var node = await cluster.GetAsync("get", "node", "sim-0");
        Assert.Equal("sim-0", first["spec"]!["holderIdentity"]!.GetValue<string>());
        Assert.Equal(40, first["spec"]!["leaseDurationSeconds"]!.GetValue<int>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", RenewTime(first));
        Assert.Equal(node["metadata"]!["uid"]!.GetValue<string>(), first["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Agent_WhenItStopsAndStartsAgain_ThenRenewalsStopMeanwhileAndTheSameNodeComesBack()
    {
        var description = new NodeDescription("restarted", NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity(), LocalMachine.Labels("restarted", new Dictionary<string, string>()));
        using var firstRun = new CancellationTokenSource();
        var running = new NodeAgent(cluster.NodeClient, description, NodeClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance).RunAsync(firstRun.Token);
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "lease", "restarted", "-n", "kube-node-lease")).ExitCode == 0, Deadline, "the agent's lease");
        var uid = (await cluster.GetAsync("get", "node", "restarted"))["metadata"]!["uid"]!.GetValue<string>();

        await firstRun.CancelAsync();
        await running;
        var stopped = RenewTime(await LeaseAsync("restarted"));
        // While it is stopped, another agent renews several times; this one does not.
        var other = RenewTime(await LeaseAsync("sim-2"));
        for (var i = 0; i < 3; i++)
        {
            var seen = other;
            await Eventually.TrueAsync(async () => (other = RenewTime(await LeaseAsync("sim-2"))) != seen, Deadline, "sim-2 to renew");
        }
        Assert.Equal(stopped, RenewTime(await LeaseAsync("restarted")));

        using var secondRun = new CancellationTokenSource();
        var restarted = new NodeAgent(cluster.NodeClient, description, NodeClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance).RunAsync(secondRun.Token);
        await Eventually.TrueAsync(async () => RenewTime(await LeaseAsync("restarted")) != stopped, Deadline, "the restarted agent to renew");
        await secondRun.CancelAsync();
        await restarted;
        Assert.Equal(uid, (await cluster.GetAsync("get", "node", "restarted"))["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pod_WhenBoundToAHollowNode_ThenItRunsIsReadyAndGoesWhenDeleted()
    {
        var ns = "pods-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        var manifest = await cluster.Files.WriteAsync("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"nodeName":"sim-1","containers":[{"name":"web","image":"registry.local/web:1"},{"name":"log","image":"registry.local/log:1"}]}}
            """, ".json");
        await cluster.Kubectl.SucceedAsync("create", "-f", manifest, "-n", ns);

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/web", "-n", ns, "--timeout=30s");

        var row = (await cluster.Kubectl.SucceedAsync("get", "pod", "web", "-n", ns, "-o", "wide")).Out.Split('\n')[1];
        Assert.Matches(@"^web\s+2/2\s+Running\s+0\s+\S+\s+10\.42\.2\.\d+\s+sim-1\s", row);
        var status = (await cluster.GetAsync("get", "pod", "web", "-n", ns))["status"]!;
        Assert.Equal(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"],
            status["conditions"]!.AsArray().Select(c => c!["type"]!.GetValue<string>()));
        Assert.All(status["containerStatuses"]!.AsArray(), c => Assert.NotNull(c!["state"]!["running"]!["startedAt"]));

        // The agent stops the containers and then deletes the pod for good, so kubectl's wait for it ends.
        var deleted = await cluster.Kubectl.SucceedAsync("delete", "pod", "web", "-n", ns, "--timeout=30s");
        Assert.Equal("pod \"web\" deleted\n", deleted.Out);
        Assert.NotEqual(0, (await cluster.Kubectl.RunAsync("get", "pod", "web", "-n", ns)).ExitCode);
    }

    [Fact]
    public async Task Pod_WhenItsContainersExitAndItNeverRestarts_ThenCompletedOrErrorAsKubectlShowsThem()
    {
        var ns = "exits-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        foreach (var (name, exit) in new[] { ("done", "0.5s:0"), ("broken", "0.5s:3") })
        {
            var manifest = await cluster.Files.WriteAsync("""
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","annotations":{"sim.berth.dev/exit.main":"EXIT"}},
                 "spec":{"nodeName":"sim-0","restartPolicy":"Never","containers":[{"name":"main","image":"registry.local/job:1"}]}}
                """.Replace("NAME", name, StringComparison.Ordinal).Replace("EXIT", exit, StringComparison.Ordinal), ".json");
            await cluster.Kubectl.SucceedAsync("create", "-f", manifest, "-n", ns);
        }

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/done", "-n", ns, "--timeout=30s");
        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Failed", "pod/broken", "-n", ns, "--timeout=30s");

        var rows = (await cluster.Kubectl.SucceedAsync("get", "pods", "-n", ns)).Out.Split('\n');
        Assert.Matches(@"^broken\s+0/1\s+Error\s+0\s", rows[1]);
        Assert.Matches(@"^done\s+0/1\s+Completed\s+0\s", rows[2]);
        var terminated = (await cluster.GetAsync("get", "pod", "broken", "-n", ns))["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!;
        Assert.Equal(3, terminated["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public void LocalMachine_DescribesThisMachinesCapacityAndIdentity()
    {
        var node = LocalMachine.Describe("here", new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "" });

        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), node.Capacity.Cpu);
        Assert.Matches(@"^[1-9]\d*Ki$", node.Capacity.Memory);
        Assert.Equal(110, node.Capacity.Pods);
        Assert.Equal("", node.Labels["node-role.kubernetes.io/control-plane"]);
        Assert.NotEmpty(node.System.KernelVersion);
    }

    private Task<JsonNode> LeaseAsync(string name) => cluster.GetAsync("get", "lease", name, "-n", "kube-node-lease");

    private static string RenewTime(JsonNode lease) => lease["spec"]!["renewTime"]!.GetValue<string>();
}
