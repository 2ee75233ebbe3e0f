using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>Endpoints and EndpointSlices follow a Service's pods, through the real kubectl on hollow nodes.</summary>
public sealed class EndpointsControllerTests(WorkloadClusterFixture cluster) : IClassFixture<WorkloadClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Service_WhenItsPodsComeAndGo_ThenEndpointsAndSlicesFollowWithNamedTargetPorts()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: web-port}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: app
                    image: example.com/web:1
                    ports: [{name: web-port, containerPort: 8080}]
            """);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");

        var podIps = await PodIpsAsync(ns);
        await Eventually.TrueAsync(async () => (await ReadyAddressesAsync(ns)).SequenceEqual(podIps), Deadline, "the endpoints to list both pods");
        var endpoints = await cluster.GetAsync("get", "endpoints", "web", "-n", ns);
        Assert.Equal("""[{"name":"http","port":8080,"protocol":"TCP"}]""", endpoints["subsets"]![0]!["ports"]!.ToJsonString());
        Assert.Equal("Pod", endpoints["subsets"]![0]!["addresses"]![0]!["targetRef"]!["kind"]!.GetValue<string>());

        var slice = (await cluster.GetAsync("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web"))["items"]!.AsArray().Single()!;
        Assert.Equal("IPv4", slice["addressType"]!.GetValue<string>());
        Assert.Equal("""[{"name":"http","port":8080,"protocol":"TCP"}]""", slice["ports"]!.ToJsonString());
        Assert.Equal(podIps, slice["endpoints"]!.AsArray().Select(e => e!["addresses"]![0]!.GetValue<string>()).Order().ToList());
        Assert.All(slice["endpoints"]!.AsArray(), e => Assert.True(e!["conditions"]!["ready"]!.GetValue<bool>()));
        Assert.Equal("Service", slice["metadata"]!["ownerReferences"]![0]!["kind"]!.GetValue<string>());

        await cluster.Kubectl.SucceedAsync("scale", "deployment/web", "--replicas=3", "-n", ns);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        await Eventually.TrueAsync(async () => (await ReadyAddressesAsync(ns)).Count == 3, Deadline, "the endpoints to list the third pod");

        await cluster.Kubectl.SucceedAsync("delete", "service", "web", "-n", ns);
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "endpoints", "web", "-n", ns)).ExitCode != 0, Deadline, "the endpoints to go with the service");
    }

    [Fact]
    public async Task Slice_GivesEachEndpointItsNodeAndThatNodesZone()
    {
        var ns = await cluster.NamespaceAsync();
        var zone = "zone-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.Kubectl.SucceedAsync("label", "node", "sim-1", $"topology.kubernetes.io/zone={zone}", "--overwrite");
        try
        {
            await cluster.ApplyAsync(ns, """
                apiVersion: v1
                kind: Service
                metadata: {name: zoned}
                spec:
                  selector: {app: zoned}
                  ports: [{port: 80}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: in-zone, labels: {app: zoned}}
                spec: {nodeName: sim-1, containers: [{name: app, image: example.com/web:1}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: no-zone, labels: {app: zoned}}
                spec: {nodeName: sim-0, containers: [{name: app, image: example.com/web:1}]}
                """);

            await Eventually.TrueAsync(async () =>
            {
                var slices = (await cluster.GetAsync("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=zoned"))["items"]!.AsArray();
                var endpoints = slices.SelectMany(s => s!["endpoints"]?.AsArray() ?? []).ToDictionary(e => e!["targetRef"]!["name"]!.GetValue<string>());
                return endpoints.Count == 2
                    && endpoints["in-zone"]!["nodeName"]?.GetValue<string>() == "sim-1" && endpoints["in-zone"]!["zone"]?.GetValue<string>() == zone
                    && endpoints["no-zone"]!["nodeName"]?.GetValue<string>() == "sim-0" && endpoints["no-zone"]!["zone"] is null;
            }, Deadline, "the slice to give each endpoint its node and zone");
        }
        finally
        {
            await cluster.Kubectl.SucceedAsync("label", "node", "sim-1", "topology.kubernetes.io/zone-");
        }
    }

    private async Task<List<string>> PodIpsAsync(string ns) =>
        [.. (await cluster.GetAsync("get", "pods", "-n", ns, "-l", "app=web"))["items"]!.AsArray().Select(p => p!["status"]!["podIP"]!.GetValue<string>()).Order()];

    private async Task<List<string>> ReadyAddressesAsync(string ns)
    {
        var found = await cluster.Kubectl.RunAsync("get", "endpoints", "web", "-n", ns, "-o", "json");
        if (found.ExitCode != 0)
            return [];
        return [.. (JsonNode.Parse(found.Out)!["subsets"] as JsonArray ?? []).SelectMany(s => s!["addresses"] as JsonArray ?? [])
            .Select(a => a!["ip"]!.GetValue<string>()).Order()];
    }
}
