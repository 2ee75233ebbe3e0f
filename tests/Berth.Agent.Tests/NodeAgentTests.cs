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
        var description = new NodeDescription("restarted", NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity("simulated://berth"), LocalMachine.Labels("restarted", new Dictionary<string, string>()));
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
    public async Task NodeStatus_WhenSomeoneElseMarksTheNodeUnknown_ThenTheAgentReportsItReadyAgainAtOnce()
    {
        var description = new NodeDescription("overruled", NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity("simulated://berth"), LocalMachine.Labels("overruled", new Dictionary<string, string>()));
        using var stop = new CancellationTokenSource();
        var running = new NodeAgent(cluster.NodeClient, description, NodeClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance).RunAsync(stop.Token);
        await RegisteredAsync("overruled");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "node/overruled", "--timeout=30s");

        // What the node lifecycle controller writes for a node it has not heard from.
        var node = (await cluster.NodeClient.GetAsync("/api/v1/nodes/overruled", CancellationToken.None)).Body!.AsObject();
        var ready = node["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Ready")!;
        ready["status"] = "Unknown";
        ready["reason"] = "NodeStatusUnknown";
        var written = await cluster.NodeClient.PutAsync("/api/v1/nodes/overruled/status", node, CancellationToken.None);
        Assert.True(written.Succeeded, written.Message);

        await Eventually.TrueAsync(async () => await ConditionAsync("overruled", "Ready") == "True", Deadline, "the agent to report the node Ready again");
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task NodeStatus_WhenPressureComesAndGoes_ThenItIsReportedAtOnceNotAfterFiveMinutes()
    {
        var shortOfMemory = false;
        var description = new NodeDescription("pressed", NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity("simulated://berth"),
            LocalMachine.Labels("pressed", new Dictionary<string, string>()), () => new NodePressure(Memory: shortOfMemory, Disk: false, Pids: false));
        using var stop = new CancellationTokenSource();
        var running = new NodeAgent(cluster.NodeClient, description, NodeClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance).RunAsync(stop.Token);
        await RegisteredAsync("pressed");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "node/pressed", "--timeout=30s");
        Assert.Equal("False", await ConditionAsync("pressed", "MemoryPressure"));

        shortOfMemory = true;
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=MemoryPressure", "node/pressed", "--timeout=30s");
        var condition = (await cluster.GetAsync("get", "node", "pressed"))["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "MemoryPressure")!;
        Assert.Equal("KubeletHasInsufficientMemory", condition["reason"]!.GetValue<string>());

        shortOfMemory = false;
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=MemoryPressure=False", "node/pressed", "--timeout=30s");
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public void LocalMachine_DescribesThisMachinesCapacityAndIdentity()
    {
        var node = LocalMachine.Describe("here", new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "" }, "containerd://1.6.20");

        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), node.Capacity.Cpu);
        Assert.Matches(@"^[1-9]\d*Ki$", node.Capacity.Memory);
        Assert.Equal(110, node.Capacity.Pods);
        Assert.Equal("", node.Labels["node-role.kubernetes.io/control-plane"]);
        Assert.NotEmpty(node.System.KernelVersion);
        Assert.Equal("containerd://1.6.20", node.System.ContainerRuntimeVersion);
    }

    /// <summary>Waits for the agent to register its node: <c>kubectl wait</c> fails at once on a node not there yet.</summary>
    private Task RegisteredAsync(string node) =>
        Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "node", node)).ExitCode == 0, Deadline, $"node {node} to register");

    private async Task<string> ConditionAsync(string node, string type) =>
        (await cluster.GetAsync("get", "node", node))["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == type)!["status"]!.GetValue<string>();

    private Task<JsonNode> LeaseAsync(string name) => cluster.GetAsync("get", "lease", name, "-n", "kube-node-lease");

    private static string RenewTime(JsonNode lease) => lease["spec"]!["renewTime"]!.GetValue<string>();
}
