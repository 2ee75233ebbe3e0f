using System.Text.Json.Nodes;
using Berth.ApiServer.Bootstrap;
using Berth.ApiServer.Services;
using Berth.Core.Networking;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.ApiServer.Tests;

/// <summary>
/// The Services every cluster has: <c>default/kubernetes</c> at 10.43.0.1 pointing at the API server, and
/// <c>kube-system/kube-dns</c> at 10.43.0.10 without a selector, as a real server creates them at start; and how a
/// later start keeps them current.
/// </summary>
public sealed class SystemServicesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task Start_CreatesTheKubernetesServiceWithEndpointsAtThisServer()
    {
        var service = await GetJsonAsync("default", "service", "kubernetes");
        var endpoints = await GetJsonAsync("default", "endpoints", "kubernetes");
        var slice = await GetJsonAsync("default", "endpointslice", "kubernetes");
        var table = await Kubectl.SucceedAsync("-n", "default", "get", "service", "kubernetes");

        var spec = service["spec"]!;
        Assert.Equal("10.43.0.1", spec["clusterIP"]!.GetValue<string>());
        Assert.Equal("""["10.43.0.1"]""", spec["clusterIPs"]!.ToJsonString());
        Assert.Equal("ClusterIP", spec["type"]!.GetValue<string>());
        Assert.Null(spec["selector"]);
        var port = spec["ports"]![0]!;
        Assert.Equal("https", port["name"]!.GetValue<string>());
        Assert.Equal(443, port["port"]!.GetValue<int>());
        Assert.Equal("TCP", port["protocol"]!.GetValue<string>());
        Assert.Equal(server.Url.Port, port["targetPort"]!.GetValue<int>());
        Assert.Equal("apiserver", service["metadata"]!["labels"]!["component"]!.GetValue<string>());
        Assert.Equal("kubernetes", service["metadata"]!["labels"]!["provider"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", endpoints["subsets"]![0]!["addresses"]![0]!["ip"]!.GetValue<string>());
        Assert.Equal(server.Url.Port, endpoints["subsets"]![0]!["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("kubernetes", slice["metadata"]!["labels"]!["kubernetes.io/service-name"]!.GetValue<string>());
        Assert.Equal("IPv4", slice["addressType"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", slice["endpoints"]![0]!["addresses"]![0]!.GetValue<string>());
        Assert.Equal(server.Url.Port, slice["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Matches(@"\nkubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443/TCP\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task Start_CreatesKubeDnsAtTheTenthAddressWithoutASelector()
    {
        var service = await GetJsonAsync("kube-system", "service", "kube-dns");
        var taken = await Kubectl.RunAsync("-n", "default", "create", "service", "clusterip", "dns-thief", "--tcp=53:53", "--clusterip=10.43.0.10");

        var spec = service["spec"]!;
        Assert.Equal("10.43.0.10", spec["clusterIP"]!.GetValue<string>());
        Assert.Null(spec["selector"]);
        Assert.Equal("Local", spec["internalTrafficPolicy"]!.GetValue<string>());
        Assert.Equal(
            """[{"name":"dns","port":53,"protocol":"UDP","targetPort":53},{"name":"dns-tcp","port":53,"protocol":"TCP","targetPort":53},{"name":"metrics","port":9153,"protocol":"TCP","targetPort":9153}]""",
            spec["ports"]!.ToJsonString());
        var labels = service["metadata"]!["labels"]!;
        Assert.Equal("kube-dns", labels["k8s-app"]!.GetValue<string>());
        Assert.Equal("CoreDNS", labels["kubernetes.io/name"]!.GetValue<string>());
        Assert.Equal("true", labels["kubernetes.io/cluster-service"]!.GetValue<string>());
        Assert.NotEqual(0, taken.ExitCode);
        Assert.Contains("failed to allocate IP 10.43.0.10: provided IP is already allocated", taken.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ensure_WhenRunAgainOnAnotherPort_ThenTheKubernetesServiceAndItsEndpointsFollow()
    {
        using var directory = new TempDirectory("system-services");
        await using var store = SqliteStore.Open(new SqliteStoreOptions { Path = directory.File("state.db") });
        var network = new ServiceNetwork(Cidr("10.43.0.0/16"), NodePortRange.Default);
        var ips = new ServiceIpAllocator(store, network.Cidr);
        var services = new SystemServices(store, new ServiceAllocations(ips, new NodePortAllocator(store, network.NodePorts), TimeProvider.System), network,
            TimeProvider.System, NullLogger.Instance);

        await services.EnsureAsync("192.0.2.7", 6443, CancellationToken.None);
        var first = await ReadAsync(store, "/registry/services/default/kubernetes");
        await services.EnsureAsync("192.0.2.8", 7443, CancellationToken.None);
        var second = await ReadAsync(store, "/registry/services/default/kubernetes");
        var endpoints = await ReadAsync(store, "/registry/endpoints/default/kubernetes");
        var slice = await ReadAsync(store, "/registry/discovery.k8s.io/endpointslices/default/kubernetes");

        Assert.Equal(6443, first["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Equal(7443, second["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Equal(first["metadata"]!["uid"]!.GetValue<string>(), second["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal("192.0.2.8", endpoints["subsets"]![0]!["addresses"]![0]!["ip"]!.GetValue<string>());
        Assert.Equal(7443, slice["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Equal(2, await store.CountAsync(ServiceIpAllocator.Prefix, CancellationToken.None));
    }

    [Fact]
    public async Task Ensure_WhenAnEarlierStartStoppedBetweenClaimingAndStoring_ThenTheClaimIsTakenOver()
    {
        using var directory = new TempDirectory("system-services");
        await using var store = SqliteStore.Open(new SqliteStoreOptions { Path = directory.File("state.db") });
        var network = new ServiceNetwork(Cidr("10.43.0.0/16"), NodePortRange.Default);
        var ips = new ServiceIpAllocator(store, network.Cidr);
        var left = new AllocationOwner("default", "kubernetes", "an-earlier-uid", DateTimeOffset.UtcNow);
        await store.CreateAsync(ServiceIpAllocator.Prefix + "10.43.0.1", left.ToBytes(), 0, CancellationToken.None);
        var services = new SystemServices(store, new ServiceAllocations(ips, new NodePortAllocator(store, network.NodePorts), TimeProvider.System), network,
            TimeProvider.System, NullLogger.Instance);

        await services.EnsureAsync("127.0.0.1", 6443, CancellationToken.None);

        var service = await ReadAsync(store, "/registry/services/default/kubernetes");
        var claim = AllocationOwner.Parse((await store.GetAsync(ServiceIpAllocator.Prefix + "10.43.0.1", 0, CancellationToken.None)).Kv!.Value.Span)!;
        Assert.Equal(service["metadata"]!["uid"]!.GetValue<string>(), claim.Uid);
    }

    private async Task<JsonNode> GetJsonAsync(string ns, string kind, string name) =>
        JsonNode.Parse((await Kubectl.SucceedAsync("-n", ns, "get", kind, name, "-o", "json")).Out)!;

    private static async Task<JsonNode> ReadAsync(SqliteStore store, string key) =>
        JsonNode.Parse((await store.GetAsync(key, 0, CancellationToken.None)).Kv!.Value.Span)!;

    private static Ipv4Cidr Cidr(string text)
    {
        Assert.True(Ipv4Cidr.TryParse(text, out var cidr));
        return cidr;
    }
}
