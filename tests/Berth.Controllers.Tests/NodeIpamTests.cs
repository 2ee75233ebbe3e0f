using System.Net;
using Berth.Controllers.NodeIpam;

namespace Berth.Controllers.Tests;

/// <summary>Node IPAM: the subnets of the cluster CIDR, and every node of a running cluster with one of its own.</summary>
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
}
