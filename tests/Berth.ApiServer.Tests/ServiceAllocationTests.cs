using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Storage;
using Berth.Testing;
using k8s;
using k8s.Models;

namespace Berth.ApiServer.Tests;

/// <summary>
/// Cluster IPs and node ports as a real server allocates them, driven by the real kubectl and the official client:
/// from the service CIDR (10.43.0.0/16) and the node port range (30000-32767), requested ones honoured or refused in
/// upstream's words, released when the Service goes or no longer needs them. Each test asks for its own fixed
/// addresses and ports, in the low bands random allocation leaves alone.
/// </summary>
public sealed class ServiceAllocationTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string IpKeys = "/registry/berth/serviceips/";
    private const string PortKeys = "/registry/berth/servicenodeports/";

    private readonly TempDirectory _files = new("service-allocation");
    private readonly string _ns = "s" + Guid.NewGuid().ToString("N")[..10];

    private Kubectl Kubectl => server.Kubectl;

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Create_WhenNoClusterIpIsAsked_ThenOneOfTheServiceCidrIsAllocatedAndRecorded()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _ns, "create", "service", "clusterip", "web", "--tcp=80:8080");
        var spec = (await GetAsync("web"))["spec"]!;
        var table = await Kubectl.RunAsync("-n", _ns, "get", "service", "web");

        Assert.True(created.ExitCode == 0, created.Err);
        var ip = spec["clusterIP"]!.GetValue<string>();
        var bytes = IPAddress.Parse(ip).GetAddressBytes();
        Assert.Equal([10, 43], bytes[..2]);
        Assert.NotEqual(0, bytes[2]); // random allocation leaves 10.43.0.0/24 to requests by address
        Assert.NotEqual("10.43.255.255", ip);
        Assert.Equal(new JsonArray(ip).ToJsonString(), spec["clusterIPs"]!.ToJsonString());
        Assert.Equal($"{_ns}/web", await KeyOwnerAsync(IpKeys + ip));
        Assert.Matches($@"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nweb\s+ClusterIP\s+{ip.Replace(".", @"\.", StringComparison.Ordinal)}\s+<none>\s+80/TCP\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task Create_WhenTheClusterIpAskedForIsTaken_ThenKubectlPrintsUpstreamsMessage()
    {
        await CreateNamespaceAsync();

        var first = await CreateAsync("a", """{"clusterIP":"10.43.0.31","ports":[{"port":80}]}""");
        var second = await CreateAsync("b", """{"clusterIP":"10.43.0.31","ports":[{"port":80}]}""");
        var kubernetes = await CreateAsync("c", """{"clusterIP":"10.43.0.1","ports":[{"port":80}]}""");

        Assert.True(first.ExitCode == 0, first.Err);
        Assert.Equal("10.43.0.31", (await GetAsync("a"))["spec"]!["clusterIP"]!.GetValue<string>());
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("The Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.43.0.31\"}: failed to allocate IP 10.43.0.31: provided IP is already allocated",
            second.Err, StringComparison.Ordinal);
        Assert.Contains("failed to allocate IP 10.43.0.1: provided IP is already allocated", kubernetes.Err, StringComparison.Ordinal);
        Assert.Equal($"{_ns}/a", await KeyOwnerAsync(IpKeys + "10.43.0.31"));
    }

    [Theory]
    [InlineData("10.99.0.1")]
    [InlineData("10.43.0.0")]
    [InlineData("10.43.255.255")]
    public async Task Create_WhenTheClusterIpIsOutsideTheRange_ThenKubectlPrintsUpstreamsMessage(string ip)
    {
        await CreateNamespaceAsync();

        var created = await CreateAsync("web", $$"""{"clusterIP":"{{ip}}","ports":[{"port":80}]}""");

        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains($"The Service \"web\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: " +
            $"the provided IP ({ip}) is not in the valid range. The range of valid IPs is 10.43.0.0/16", created.Err, StringComparison.Ordinal);
        Assert.Null((await server.Store.GetAsync(IpKeys + ip, 0, CancellationToken.None)).Kv);
    }

    [Fact]
    public async Task Create_WhenHeadlessOrExternalName_ThenNoAddressIsAllocated()
    {
        await CreateNamespaceAsync();
        var keysBefore = await server.Store.CountAsync(IpKeys, CancellationToken.None);

        var headless = await CreateAsync("db", """{"clusterIP":"None","selector":{"app":"db"},"ports":[{"port":5432}]}""");
        var external = await Kubectl.RunAsync("-n", _ns, "create", "service", "externalname", "mail", "--external-name=mail.example.com");
        var spec = (await GetAsync("db"))["spec"]!;
        var table = await Kubectl.RunAsync("-n", _ns, "get", "service", "db");

        Assert.True(headless.ExitCode == 0, headless.Err);
        Assert.True(external.ExitCode == 0, external.Err);
        Assert.Equal("None", spec["clusterIP"]!.GetValue<string>());
        Assert.Equal("""["None"]""", spec["clusterIPs"]!.ToJsonString());
        Assert.Null((await GetAsync("mail"))["spec"]!["clusterIP"]);
        Assert.Matches(@"\ndb\s+ClusterIP\s+None\s+<none>\s+5432/TCP\s+\d+s\n$", table.Out);
        Assert.Equal(keysBefore, await server.Store.CountAsync(IpKeys, CancellationToken.None));
    }

    [Fact]
    public async Task Create_WhenNodePort_ThenEachPortGetsOneFromTheRangeAndTheTableShowsIt()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _ns, "create", "service", "nodeport", "web", "--tcp=80:8080", "--tcp=443:8443");
        var ports = (await GetAsync("web"))["spec"]!["ports"]!.AsArray();
        var table = await Kubectl.RunAsync("-n", _ns, "get", "service", "web");

        Assert.True(created.ExitCode == 0, created.Err);
        var nodePorts = ports.Select(p => p!["nodePort"]!.GetValue<int>()).ToList();
        Assert.All(nodePorts, p => Assert.InRange(p, 30000, 32767));
        Assert.Equal(2, nodePorts.Distinct().Count());
        foreach (var port in nodePorts)
            Assert.Equal($"{_ns}/web", await KeyOwnerAsync(PortKeys + port));
        Assert.Matches($@"\nweb\s+NodePort\s+10\.43\.[\d.]+\s+<none>\s+80:{nodePorts[0]}/TCP,443:{nodePorts[1]}/TCP\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task Create_WhenTheNodePortAskedForIsTakenOrOutOfRange_ThenKubectlPrintsUpstreamsMessage()
    {
        await CreateNamespaceAsync();

        var first = await Kubectl.RunAsync("-n", _ns, "create", "service", "nodeport", "a", "--tcp=80:80", "--node-port=30080");
        var taken = await Kubectl.RunAsync("-n", _ns, "create", "service", "nodeport", "b", "--tcp=80:80", "--node-port=30080");
        var outside = await Kubectl.RunAsync("-n", _ns, "create", "service", "nodeport", "c", "--tcp=80:80", "--node-port=40000");

        Assert.True(first.ExitCode == 0, first.Err);
        Assert.Equal(30080, (await GetAsync("a"))["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>());
        Assert.Contains("Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated", taken.Err, StringComparison.Ordinal);
        Assert.Contains("Service \"c\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767",
            outside.Err, StringComparison.Ordinal);
        // b's cluster IP, claimed before its node port was refused, went back.
        Assert.DoesNotContain(await OwnersAsync(IpKeys), owner => owner == $"{_ns}/b" || owner == $"{_ns}/c");
    }

    [Fact]
    public async Task Create_WhenTwoPortsShareANumber_ThenTheyShareANodePort()
    {
        await CreateNamespaceAsync();

        var created = await CreateAsync("dns", """{"type":"NodePort","ports":[{"name":"dns","port":53,"protocol":"UDP"},{"name":"dns-tcp","port":53,"protocol":"TCP"}]}""");
        var ports = (await GetAsync("dns"))["spec"]!["ports"]!.AsArray();

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal(ports[0]!["nodePort"]!.GetValue<int>(), ports[1]!["nodePort"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_ThenTheAddressAndNodePortMayBeAskedForAgain()
    {
        await CreateNamespaceAsync();
        const string Spec = """{"type":"NodePort","clusterIP":"10.43.0.32","ports":[{"port":80,"nodePort":30081}]}""";
        Assert.Equal(0, (await CreateAsync("first", Spec)).ExitCode);

        var again = await CreateAsync("second", Spec);
        await Kubectl.SucceedAsync("-n", _ns, "delete", "service", "first");
        var ipKey = await server.Store.GetAsync(IpKeys + "10.43.0.32", 0, CancellationToken.None);
        var portKey = await server.Store.GetAsync(PortKeys + "30081", 0, CancellationToken.None);
        var afterDelete = await CreateAsync("second", Spec);

        Assert.NotEqual(0, again.ExitCode);
        Assert.Null(ipKey.Kv);
        Assert.Null(portKey.Kv);
        Assert.True(afterDelete.ExitCode == 0, afterDelete.Err);
        Assert.Equal($"{_ns}/second", await KeyOwnerAsync(IpKeys + "10.43.0.32"));
        Assert.Equal($"{_ns}/second", await KeyOwnerAsync(PortKeys + "30081"));
    }

    [Fact]
    public async Task DeleteAll_ThenEveryServiceGivesBackWhatItHeld()
    {
        await CreateNamespaceAsync();
        for (var i = 0; i < 3; i++)
            Assert.Equal(0, (await Kubectl.RunAsync("-n", _ns, "create", "service", "nodeport", $"web{i}", "--tcp=80:80")).ExitCode);
        Assert.Equal(3, (await OwnersAsync(IpKeys)).Count(o => o.StartsWith(_ns + "/", StringComparison.Ordinal)));

        await Kubectl.SucceedAsync("-n", _ns, "delete", "services", "--all");

        Assert.DoesNotContain(await OwnersAsync(IpKeys), o => o.StartsWith(_ns + "/", StringComparison.Ordinal));
        Assert.DoesNotContain(await OwnersAsync(PortKeys), o => o.StartsWith(_ns + "/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_WhenTheTypeChangesToNodePortAndBack_ThenANodePortIsAllocatedAndReleased()
    {
        await CreateNamespaceAsync();
        await Kubectl.SucceedAsync("-n", _ns, "create", "service", "clusterip", "web", "--tcp=80:8080");
        var ip = (await GetAsync("web"))["spec"]!["clusterIP"]!.GetValue<string>();

        var toNodePort = await Kubectl.RunAsync("-n", _ns, "patch", "service", "web", "-p", """{"spec":{"type":"NodePort"}}""");
        var nodePort = (await GetAsync("web"))["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>();
        var held = await KeyOwnerAsync(PortKeys + nodePort);
        var toClusterIp = await Kubectl.RunAsync("-n", _ns, "patch", "service", "web", "-p", """{"spec":{"type":"ClusterIP"}}""");
        var spec = (await GetAsync("web"))["spec"]!;

        Assert.True(toNodePort.ExitCode == 0, toNodePort.Err);
        Assert.InRange(nodePort, 30000, 32767);
        Assert.Equal($"{_ns}/web", held);
        Assert.True(toClusterIp.ExitCode == 0, toClusterIp.Err);
        Assert.Null(spec["ports"]![0]!["nodePort"]);
        Assert.Null(spec["externalTrafficPolicy"]);
        Assert.Equal(ip, spec["clusterIP"]!.GetValue<string>());
        Assert.Null((await server.Store.GetAsync(PortKeys + nodePort, 0, CancellationToken.None)).Kv);
        Assert.Equal($"{_ns}/web", await KeyOwnerAsync(IpKeys + ip));
    }

    [Fact]
    public async Task Update_WhenTheTypeChangesToExternalNameAndBack_ThenTheAddressIsReleasedAndAllocatedAgain()
    {
        await CreateNamespaceAsync();
        await Kubectl.SucceedAsync("-n", _ns, "create", "service", "clusterip", "web", "--tcp=80:8080");
        var ip = (await GetAsync("web"))["spec"]!["clusterIP"]!.GetValue<string>();

        var toExternal = await Kubectl.RunAsync("-n", _ns, "patch", "service", "web", "-p", """{"spec":{"type":"ExternalName","externalName":"web.example.com"}}""");
        var external = (await GetAsync("web"))["spec"]!;
        var released = (await server.Store.GetAsync(IpKeys + ip, 0, CancellationToken.None)).Kv;
        var back = await Kubectl.RunAsync("-n", _ns, "patch", "service", "web", "--type=json", "-p",
            """[{"op":"replace","path":"/spec/type","value":"ClusterIP"},{"op":"remove","path":"/spec/externalName"}]""");
        var again = (await GetAsync("web"))["spec"]!["clusterIP"]!.GetValue<string>();

        Assert.True(toExternal.ExitCode == 0, toExternal.Err);
        Assert.Null(external["clusterIP"]);
        Assert.Null(external["clusterIPs"]);
        Assert.Null(released);
        Assert.True(back.ExitCode == 0, back.Err);
        Assert.Equal($"{_ns}/web", await KeyOwnerAsync(IpKeys + again));
    }

    [Fact]
    public async Task Create_WhenDryRun_ThenNothingStaysAllocated()
    {
        await CreateNamespaceAsync();
        const string Spec = """{"type":"NodePort","clusterIP":"10.43.0.33","ports":[{"port":80,"nodePort":30082}]}""";

        var dryRun = await CreateAsync("web", Spec, "--dry-run=server");
        var keys = (await server.Store.GetAsync(IpKeys + "10.43.0.33", 0, CancellationToken.None)).Kv ?? (await server.Store.GetAsync(PortKeys + "30082", 0, CancellationToken.None)).Kv;
        var real = await CreateAsync("web", Spec);

        Assert.True(dryRun.ExitCode == 0, dryRun.Err);
        Assert.Null(keys);
        Assert.True(real.ExitCode == 0, real.Err);
    }

    [Fact]
    public async Task Create_WhenALoadBalancerKeepsTrafficLocal_ThenItGetsAHealthCheckNodePort()
    {
        await CreateNamespaceAsync();

        var local = await CreateAsync("lb", """{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80}]}""");
        var nodePortLocal = await CreateAsync("np", """{"type":"NodePort","externalTrafficPolicy":"Local","ports":[{"port":80}]}""");
        var lb = (await GetAsync("lb"))["spec"]!;
        var np = (await GetAsync("np"))["spec"]!;

        Assert.True(local.ExitCode == 0, local.Err);
        Assert.True(nodePortLocal.ExitCode == 0, nodePortLocal.Err);
        var healthCheck = lb["healthCheckNodePort"]!.GetValue<int>();
        Assert.InRange(healthCheck, 30000, 32767);
        Assert.NotEqual(lb["ports"]![0]!["nodePort"]!.GetValue<int>(), healthCheck);
        Assert.True(lb["allocateLoadBalancerNodePorts"]!.GetValue<bool>());
        Assert.Equal($"{_ns}/lb", await KeyOwnerAsync(PortKeys + healthCheck));
        Assert.Null(np["healthCheckNodePort"]);
    }

    [Fact]
    public async Task Create_WhenFiftyAtOnceThroughTheOfficialClient_ThenEachGetsItsOwnAddressAndNodePort()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
        await client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _ns } });

        var created = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
            Spec = new V1ServiceSpec { Type = "NodePort", Ports = [new V1ServicePort { Port = 80 }] },
        }, _ns)));

        var ips = created.Select(s => s.Spec.ClusterIP).ToList();
        var nodePorts = created.Select(s => s.Spec.Ports[0].NodePort!.Value).ToList();
        Assert.Equal(50, ips.Distinct().Count());
        Assert.Equal(50, nodePorts.Distinct().Count());
        Assert.All(ips, ip => Assert.StartsWith("10.43.", ip, StringComparison.Ordinal));
        Assert.All(nodePorts, p => Assert.InRange(p, 30000, 32767));
        var ipOwners = await OwnersAsync(IpKeys);
        var portOwners = await OwnersAsync(PortKeys);
        Assert.Equal(50, ipOwners.Count(o => o.StartsWith(_ns + "/", StringComparison.Ordinal)));
        Assert.Equal(50, portOwners.Count(o => o.StartsWith(_ns + "/", StringComparison.Ordinal)));
        var listed = await client.ListNamespacedServiceAsync(_ns);
        Assert.Equal(ips.Order(StringComparer.Ordinal), listed.Items.Select(s => s.Spec.ClusterIP).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AllocationKeys_AreNeverServedThroughTheApi()
    {
        var discovery = await Kubectl.SucceedAsync("api-resources", "-o", "name");
        var all = await server.SendAsync(HttpMethod.Get, "/api/v1/services");

        Assert.DoesNotContain("serviceips", discovery.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("servicenodeports", discovery.Out, StringComparison.Ordinal);
        Assert.Equal(200, all.Code);
        Assert.All(all.Body!["items"]!.AsArray(), item => Assert.Equal("Service", item!["kind"]?.GetValue<string>() ?? "Service"));
        Assert.DoesNotContain("/registry/berth", all.Body!.ToJsonString(), StringComparison.Ordinal);
    }

    private async Task CreateNamespaceAsync() => await Kubectl.SucceedAsync("create", "namespace", _ns);

    private async Task<(int ExitCode, string Out, string Err)> CreateAsync(string name, string spec, params string[] extra)
    {
        var path = await _files.WriteAsync($$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{name}}"},"spec":{{spec}}}""", ".json");
        return await Kubectl.RunAsync(["-n", _ns, "create", "-f", path, .. extra]);
    }

    private async Task<JsonNode> GetAsync(string name) =>
        JsonNode.Parse((await Kubectl.SucceedAsync("-n", _ns, "get", "service", name, "-o", "json")).Out)!;

    /// <summary>The Service an allocation key names (namespace/name), or null without the key.</summary>
    private async Task<string?> KeyOwnerAsync(string key) =>
        (await server.Store.GetAsync(key, 0, CancellationToken.None)).Kv is { } kv ? Owner(kv) : null;

    private async Task<List<string>> OwnersAsync(string prefix) =>
        [.. (await server.Store.ListAsync(prefix, ListOptions.All, CancellationToken.None)).Items.Select(Owner)];

    private static string Owner(KeyValue kv)
    {
        var owner = JsonNode.Parse(Encoding.UTF8.GetString(kv.Value.Span))!;
        return $"{owner["namespace"]}/{owner["name"]}";
    }
}
