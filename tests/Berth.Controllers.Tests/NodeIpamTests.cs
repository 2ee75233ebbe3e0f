using System.Net;
using System.Text.Json.Nodes;
using Berth.Agent;
using Berth.Agent.Nodes;
using Berth.Controllers.NodeIpam;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>
/// Node IPAM: the subnets of the cluster CIDR, every node of a running cluster with one of its own, and an agent
/// that waits for its node's (on an API server without the controllers, where only the test gives it one).
/// </summary>
public sealed class NodeIpamTests(WorkloadClusterFixture cluster) : IClassFixture<WorkloadClusterFixture>
{
    [Fact]
    public void CidrSet_HandsOutEachSubnetOnceAndThenNone()
    {
        var set = new CidrSet("10.42.0.0/22", 24);

        Assert.True(set.Occupy("10.42.1.0/24"));
        Assert.Equal(new string?[] { "10.42.0.0/24", "10.42.2.0/24", "10.42.3.0/24" }, new[] { set.Allocate(), set.Allocate(), set.Allocate() });
        Assert.Null(set.Allocate());
        set.Release("10.42.2.0/24");
        Assert.Equal("10.42.2.0/24", set.Allocate());
    }

    [Fact]
    public void CidrSet_RefusesSubnetsThatAreNotItsOwn()
    {
        var set = new CidrSet("10.42.0.0/16", 24);

        Assert.False(set.Occupy("10.43.0.0/24"));
        Assert.False(set.Occupy("10.42.0.0/25"));
        Assert.False(set.Occupy("10.42.0.1/24"));
        Assert.Equal(256, set.Count);
    }

    [Theory]
    [InlineData("10.42.0.1/16")]
    [InlineData("fd00::/64")]
    [InlineData("10.42.0.0")]
    [InlineData("10.42.0.0/25")]
    public void CidrSet_RefusesAClusterCidrItCannotSplit(string cidr) =>
        Assert.Throws<FormatException>(() => new CidrSet(cidr, 24));

    [Fact]
    public async Task Nodes_EachGetTheirOwnPodCidr_AndTheirPodsAddressesComeFromIt()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.Kubectl.SucceedAsync("create", "deployment", "addressed", "-n", ns, "--image=nginx:1.27", "--replicas=6");
        await cluster.Kubectl.SucceedAsync("rollout", "status", "-n", ns, "deployment/addressed", "--timeout=60s");

        var nodes = (await cluster.GetAsync("get", "nodes"))["items"]!.AsArray();
        var cidrs = nodes.ToDictionary(n => n!["metadata"]!["name"]!.GetValue<string>(), n => n!["spec"]!["podCIDR"]!.GetValue<string>());
        Assert.Equal(cidrs.Count, cidrs.Values.Distinct().Count());
        Assert.All(nodes, n => Assert.Equal([n!["spec"]!["podCIDR"]!.GetValue<string>()], n["spec"]!["podCIDRs"]!.AsArray().Select(c => c!.GetValue<string>())));
        Assert.All(cidrs.Values, c => Assert.True(IPNetwork.Parse("10.42.0.0/16").Contains(IPNetwork.Parse(c).BaseAddress) && c.EndsWith("/24", StringComparison.Ordinal), c));
        foreach (var pod in (await cluster.GetAsync("get", "pods", "-n", ns))["items"]!.AsArray())
        {
            var ip = IPAddress.Parse(pod!["status"]!["podIP"]!.GetValue<string>());
            Assert.True(IPNetwork.Parse(cidrs[pod["spec"]!["nodeName"]!.GetValue<string>()]).Contains(ip), $"{ip} is not in its node's pod CIDR");
        }
    }

    [Fact]
    public async Task Agent_UntilItsNodeHasAPodCidr_ReportsItNotReadyForWantOfANetwork()
    {
        await using var bare = await LocalApiServer.StartAsync("no-ipam");
        var name = "cidr-" + Guid.NewGuid().ToString("N")[..8];
        var network = new PodNetwork();
        var description = new NodeDescription(name, NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity("simulated://berth"), LocalMachine.Labels(name, new Dictionary<string, string>()));
        using var stop = new CancellationTokenSource();
        var running = new NodeAgent(bare.Client(bare.Host.IssueNodeCertificate(name)), description, WorkloadClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance, network: network)
            .RunAsync(stop.Token);
        try
        {
            await Eventually.TrueAsync(async () => await ReadyAsync(bare, name) is { } ready && ready["status"]!.GetValue<string>() == "False", TimeSpan.FromSeconds(30), "the node to register");
            var notReady = (await ReadyAsync(bare, name))!;
            Assert.Equal("KubeletNotReady", notReady["reason"]!.GetValue<string>());
            Assert.Contains("NetworkReady=false", notReady["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(network.NextAddress);

            await bare.Kubectl.SucceedAsync("patch", "node", name, "--type=merge", "-p", """{"spec":{"podCIDR":"10.77.3.0/24","podCIDRs":["10.77.3.0/24"]}}""");
            await bare.Kubectl.SucceedAsync("wait", "--for=condition=Ready", $"node/{name}", "--timeout=30s");
            Assert.Equal("10.77.3.0/24", network.Cidr);
            Assert.Equal("10.77.3.2", network.NextAddress());
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    private static async Task<JsonNode?> ReadyAsync(LocalApiServer bare, string node)
    {
        var (code, output, _) = await bare.Kubectl.RunAsync("get", "node", node, "-o", "json");
        return code != 0 ? null : JsonNode.Parse(output)!["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c!["type"]!.GetValue<string>() == "Ready");
    }
}
