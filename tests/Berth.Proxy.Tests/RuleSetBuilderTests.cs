using Berth.Proxy.Model;
using Berth.Proxy.Rules;

namespace Berth.Proxy.Tests;

public sealed class RuleSetBuilderTests
{
    private const string Node = "node-a";
    private const string ClusterCidr = "10.42.0.0/16";

    private static ProxyService Service(string name, string? clusterIp = "10.43.0.20", int nodePort = 0, int? affinity = null,
        bool internalLocal = false, bool externalLocal = false, string protocol = "TCP") =>
        new("shop", name, clusterIp, [new ProxyServicePort("http", protocol, 80, nodePort)], affinity, internalLocal, externalLocal);

    private static ProxySlice Slice(string service, params ProxyEndpoint[] endpoints) =>
        new("shop", service + "-abc", service, [new ProxySlicePort("http", "TCP", 8080)], endpoints);

    private static ProxyEndpoint Ready(string address, string node = Node) => new(address, node, true, true, false);

    private static RuleSet Build(ProxyService service, params ProxySlice[] slices) =>
        RuleSetBuilder.Build([service], slices.ToLookup(s => s.ServiceKey!), Node, ClusterCidr);

    [Fact]
    public void Build_WhenAServiceHasReadyEndpoints_ThenItsClusterIpLeadsToARandomChoiceAmongThem()
    {
        var rules = Build(Service("web"), Slice("web", Ready("10.42.0.5"), Ready("10.42.0.6"), new ProxyEndpoint("10.42.0.7", Node, false, false, false)));

        Assert.Equal("goto svc-shop/web/tcp/http", rules.ServiceIps["10.43.0.20 . tcp . 80"]);
        var chain = rules.Chains["svc-shop/web/tcp/http"];
        Assert.Equal("ip saddr != 10.42.0.0/16 jump mark-for-masquerade", chain[0]);
        Assert.Equal("numgen random mod 2 vmap { 0 : goto ep-shop/web/tcp/http/10.42.0.5/8080, 1 : goto ep-shop/web/tcp/http/10.42.0.6/8080 }", chain[1]);
        Assert.Equal(["ip saddr 10.42.0.5 jump mark-for-masquerade", "meta l4proto tcp dnat to 10.42.0.5:8080"], rules.Chains["ep-shop/web/tcp/http/10.42.0.5/8080"]);
        Assert.DoesNotContain(rules.Chains.Keys, c => c.Contains("10.42.0.7", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_WhenNoEndpointIsReady_ThenTheClusterIpHasNoEntryAndIsRejected()
    {
        var rules = Build(Service("web"), Slice("web", new ProxyEndpoint("10.42.0.5", Node, false, false, false)));

        Assert.Empty(rules.ServiceIps);
        Assert.Empty(rules.Chains);
    }

    [Fact]
    public void Build_WhenOnlyTerminatingEndpointsStillServe_ThenTrafficGoesToThem()
    {
        var rules = Build(Service("web"), Slice("web", new ProxyEndpoint("10.42.0.5", Node, false, true, true), new ProxyEndpoint("10.42.0.6", Node, false, false, true)));

        Assert.Equal(["goto ep-shop/web/tcp/http/10.42.0.5/8080"], rules.Chains["svc-shop/web/tcp/http"].Skip(1));
    }

    [Fact]
    public void Build_WhenInternalTrafficPolicyIsLocal_ThenOnlyThisNodesEndpointsAreUsed()
    {
        var rules = Build(Service("dns", internalLocal: true), Slice("dns", Ready("10.42.1.1", "node-b"), Ready("10.42.0.1")));

        Assert.Equal(["goto ep-shop/dns/tcp/http/10.42.0.1/8080"], rules.Chains["svc-shop/dns/tcp/http"].Skip(1));
    }

    [Fact]
    public void Build_WhenANodePortHasNoEndpoints_ThenItIsRejected()
    {
        var rules = Build(Service("web", nodePort: 30080), Slice("web"));

        Assert.Contains("tcp . 30080", rules.UnservedNodePorts);
        Assert.Empty(rules.NodePorts);
    }

    [Fact]
    public void Build_WhenANodePortHasEndpoints_ThenItIsMasqueradedAndDispatched()
    {
        var rules = Build(Service("web", nodePort: 30080), Slice("web", Ready("10.42.0.5")));

        Assert.Equal("goto ext-shop/web/tcp/http", rules.NodePorts["tcp . 30080"]);
        Assert.Equal(["jump mark-for-masquerade", "goto ep-shop/web/tcp/http/10.42.0.5/8080"], rules.Chains["ext-shop/web/tcp/http"]);
    }

    [Fact]
    public void Build_WhenExternalTrafficPolicyIsLocal_ThenOnlyLoopbackIsMasqueradedAndOnlyLocalEndpointsServe()
    {
        var rules = Build(Service("web", nodePort: 30080, externalLocal: true), Slice("web", Ready("10.42.0.5"), Ready("10.42.1.5", "node-b")));

        Assert.Equal(["ip saddr 127.0.0.0/8 jump mark-for-masquerade", "goto ep-shop/web/tcp/http/10.42.0.5/8080"], rules.Chains["ext-shop/web/tcp/http"]);
    }

    [Fact]
    public void Build_WhenTheServiceWantsClientIpAffinity_ThenEachEndpointRemembersItsClients()
    {
        var rules = Build(Service("web", affinity: 60), Slice("web", Ready("10.42.0.5"), Ready("10.42.0.6")));

        Assert.Equal(60, rules.AffinitySets["aff60-shop/web/tcp/http/10.42.0.5/8080"]);
        Assert.Equal("ip saddr @aff60-shop/web/tcp/http/10.42.0.5/8080 goto ep-shop/web/tcp/http/10.42.0.5/8080", rules.Chains["svc-shop/web/tcp/http"][1]);
        Assert.Contains("update @aff60-shop/web/tcp/http/10.42.0.6/8080 { ip saddr }", rules.Chains["ep-shop/web/tcp/http/10.42.0.6/8080"]);
    }

    [Fact]
    public void Build_WhenAHeadlessServiceHasEndpoints_ThenNothingIsProgrammed()
    {
        var rules = Build(Service("db", clusterIp: null), Slice("db", Ready("10.42.0.5")));

        Assert.Empty(rules.ServiceIps);
        Assert.Empty(rules.Chains);
    }

    [Fact]
    public void Build_WhenASlicePortHasAnotherName_ThenItsEndpointsDoNotServeThisPort()
    {
        var slice = new ProxySlice("shop", "web-abc", "web", [new ProxySlicePort("metrics", "TCP", 9090)], [Ready("10.42.0.5")]);

        Assert.Empty(Build(Service("web"), slice).ServiceIps);
    }

    [Fact]
    public void Build_WhenAUdpServiceHasEndpoints_ThenItsFlowsAreKnownForConntrack()
    {
        var slice = new ProxySlice("shop", "dns-abc", "dns", [new ProxySlicePort("http", "UDP", 53)], [Ready("10.42.0.5")]);

        var rules = Build(Service("dns", protocol: "UDP"), slice);

        Assert.Equal([new UdpFlow("10.43.0.20", 0, "10.42.0.5")], rules.UdpFlows);
    }

    [Theory]
    [InlineData("10.42.0.5 ; flush ruleset")]
    [InlineData("10.42.0.5:80")]
    [InlineData("010.042.000.005")]
    [InlineData("fd00::5")]
    [InlineData("")]
    public void Build_WhenAnEndpointAddressIsNotAPlainIpv4Address_ThenItIsLeftOut(string address)
    {
        var rules = Build(Service("web"), Slice("web", new ProxyEndpoint(address, Node, true, true, false), Ready("10.42.0.6")));

        Assert.Equal(["goto ep-shop/web/tcp/http/10.42.0.6/8080"], rules.Chains["svc-shop/web/tcp/http"].Skip(1));
        Assert.DoesNotContain(rules.Chains.SelectMany(c => c.Value.Append(c.Key)), r => r.Contains("flush", StringComparison.Ordinal) || r.Contains("010.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http ; flush ruleset")]
    [InlineData("HTTP")]
    [InlineData("a{b}")]
    public void Build_WhenAPortNameCouldBeReadAsNftSyntax_ThenThePortIsLeftOut(string name)
    {
        var service = new ProxyService("shop", "web", "10.43.0.20", [new ProxyServicePort(name, "TCP", 80, 30080)], null, false, false);
        var slice = new ProxySlice("shop", "web-abc", "web", [new ProxySlicePort(name, "TCP", 8080)], [Ready("10.42.0.5")]);

        var rules = Build(service, slice);

        Assert.Empty(rules.Chains);
        Assert.Empty(rules.ServiceIps);
        Assert.Empty(rules.UnservedNodePorts);
    }

    [Fact]
    public void Build_WhenLocalPolicyAndTheLocalEndpointIsTerminating_ThenItStillServesRatherThanARemoteOne()
    {
        var rules = Build(Service("web", internalLocal: true), Slice("web", Ready("10.42.1.5", "node-b"), new ProxyEndpoint("10.42.0.5", Node, false, true, true)));

        Assert.Equal(["goto ep-shop/web/tcp/http/10.42.0.5/8080"], rules.Chains["svc-shop/web/tcp/http"].Skip(1));
    }
}
