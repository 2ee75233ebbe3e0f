using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Testing;

namespace Berth.Agent.Tests;

/// <summary><c>berth server --simulated-nodes</c> as a process: hollow nodes with the capacity and pod network the flags give.</summary>
public sealed class ServerHollowNodesTests
{
    [Fact]
    public async Task Server_WithSimulatedNodesACapacityAndAClusterCidr_RegistersThemReadyWithThatCapacityAndPodCidrsFromIt()
    {
        await using var server = await BerthServerProcess.StartAsync(JoinClusterFixture.Binary,
            "--disable-agent", "--simulated-nodes", "2", "--simulated-node-capacity", "cpu=4,pods=20", "--cluster-cidr", "10.50.0.0/16");
        using var cache = new TempDirectory("kube-cache");
        var kubectl = new Kubectl(server.KubeconfigPath, cache.Path);

        await Eventually.TrueAsync(async () => (await kubectl.RunAsync("get", "node", "sim-1")).ExitCode == 0, TimeSpan.FromSeconds(30), "sim-1 to register");
        await kubectl.SucceedAsync("wait", "--for=condition=Ready", "node/sim-0", "node/sim-1", "--timeout=30s");

        var node = JsonNode.Parse((await kubectl.SucceedAsync("get", "node", "sim-1", "-o", "json")).Out)!;
        Assert.Equal("""{"cpu":"4","ephemeral-storage":"1Ti","memory":"256Gi","pods":"20"}""", node["status"]!["capacity"]!.ToJsonString());
        await Eventually.TrueAsync(async () => (await kubectl.SucceedAsync("get", "nodes", "-o", "jsonpath={.items[*].spec.podCIDR}")).Out.Split(' ') is var cidrs
            && cidrs.Length == 2 && cidrs.All(c => c.StartsWith("10.50.", StringComparison.Ordinal) && c.EndsWith(".0/24", StringComparison.Ordinal)) && cidrs[0] != cidrs[1],
            TimeSpan.FromSeconds(30), "each node to get a /24 of 10.50.0.0/16");
        // The controllers and the scheduler run as the holders of their leader election leases.
        var holders = (await kubectl.SucceedAsync("get", "lease", "-n", "kube-system", "kube-controller-manager", "kube-scheduler", "-o", "jsonpath={.items[*].spec.holderIdentity}")).Out;
        Assert.Equal(2, holders.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("", "32", 110)]
    [InlineData("cpu=500m, pods=10", "500m", 10)]
    public void Capacity_ParsesOverTheDefaults(string text, string cpu, int pods)
    {
        var capacity = NodeCapacity.Parse(text, NodeCapacity.Simulated, out var error);

        Assert.Null(error);
        Assert.Equal(cpu, capacity!.Cpu);
        Assert.Equal(pods, capacity.Pods);
        Assert.Equal("256Gi", capacity.Memory);
    }

    [Theory]
    [InlineData("gpu=1")]
    [InlineData("cpu=lots")]
    [InlineData("pods=-3")]
    [InlineData("memory")]
    public void Capacity_RefusesWhatIsNotAResourceQuantity(string text)
    {
        Assert.Null(NodeCapacity.Parse(text, NodeCapacity.Simulated, out var error));
        Assert.Contains(text, error, StringComparison.Ordinal);
    }
}
