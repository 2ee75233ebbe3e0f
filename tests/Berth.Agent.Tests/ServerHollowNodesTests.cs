using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Testing;

namespace Berth.Agent.Tests;

/// <summary><c>berth server --simulated-nodes</c> as a process: hollow nodes with the capacity the flags give.</summary>
public sealed class ServerHollowNodesTests
{
    [Fact]
    public async Task Server_WithSimulatedNodesAndACapacity_RegistersThemReadyWithThatCapacity()
    {
        await using var server = await BerthServerProcess.StartAsync(JoinClusterFixture.Binary,
            "--disable-agent", "--simulated-nodes", "2", "--simulated-node-capacity", "cpu=4,pods=20");
        using var cache = new TempDirectory("kube-cache");
        var kubectl = new Kubectl(server.KubeconfigPath, cache.Path);

        await Eventually.TrueAsync(async () => (await kubectl.RunAsync("get", "node", "sim-1")).ExitCode == 0, TimeSpan.FromSeconds(30), "sim-1 to register");
        await kubectl.SucceedAsync("wait", "--for=condition=Ready", "node/sim-0", "node/sim-1", "--timeout=30s");

        var node = JsonNode.Parse((await kubectl.SucceedAsync("get", "node", "sim-1", "-o", "json")).Out)!;
        Assert.Equal("""{"cpu":"4","ephemeral-storage":"1Ti","memory":"256Gi","pods":"20"}""", node["status"]!["capacity"]!.ToJsonString());
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
