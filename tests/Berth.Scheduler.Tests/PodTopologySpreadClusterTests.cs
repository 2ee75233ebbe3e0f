using System.Text.Json.Nodes;

namespace Berth.Scheduler.Tests;

/// <summary>
/// Topology spread through the real kubectl, on the fixture's three hollow nodes labelled as zones a, a and b (the
/// labels come off again after each test).
/// </summary>
public sealed class PodTopologySpreadClusterTests(SchedulerClusterFixture cluster) : IClassFixture<SchedulerClusterFixture>
{
    private const string ZoneKey = "topology.kubernetes.io/zone";
    private static readonly (string Node, string Zone)[] Zones = [("sim-0", "a"), ("sim-1", "a"), ("sim-2", "b")];

    [Fact]
    public async Task Pods_WithAZoneSpreadConstraint_NeverSkewTheZonesByMoreThanOne()
    {
        var ns = await NamespaceAsync("zones");
        await WithZonesAsync(async () =>
        {
            // Without the constraint the pods would spread over the three nodes, four of six in zone a.
            for (var batch = 0; batch < 2; batch++)
            {
                for (var i = 0; i < 3; i++)
                    await CreateAsync(ns, $"web-{batch}-{i}", "web", Constraint(1, "DoNotSchedule"));
                await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pods", "--all", "-n", ns, "--timeout=30s");

                var perZone = await PodsPerZoneAsync(ns);
                Assert.True(Math.Abs(perZone.GetValueOrDefault("a") - perZone.GetValueOrDefault("b")) <= 1, $"pods per zone: {Describe(perZone)}");
                Assert.Equal(3 * (batch + 1), perZone.Values.Sum());
            }
            Assert.Equal("a=3 b=3", Describe(await PodsPerZoneAsync(ns)));
        }, ns);
    }

    [Fact]
    public async Task Pod_ThatWouldSkewTheZones_StaysPendingWithUpstreamsExplanation()
    {
        var ns = await NamespaceAsync("skew");
        await WithZonesAsync(async () =>
        {
            // minDomains 3 with two zones: the global minimum counts as 0, so each zone takes one pod and no more.
            var spread = Constraint(1, "DoNotSchedule", "\"minDomains\":3");
            await CreateAsync(ns, "web-0", "web", spread);
            await CreateAsync(ns, "web-1", "web", spread);
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/web-0", "pod/web-1", "-n", ns, "--timeout=30s");
            Assert.Equal("a=1 b=1", Describe(await PodsPerZoneAsync(ns)));

            await CreateAsync(ns, "web-2", "web", spread);
            await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/web-2", "-n", ns, "--timeout=30s");

            var condition = (await cluster.GetAsync("get", "pod", "web-2", "-n", ns))["status"]!["conditions"]![0]!;
            Assert.Equal("PodScheduled", condition["type"]!.GetValue<string>());
            Assert.Equal("0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
                condition["message"]!.GetValue<string>());
            Assert.Matches(@"^web-2\s+0/1\s+Pending\s", (await cluster.Kubectl.SucceedAsync("get", "pod", "web-2", "-n", ns)).Out.Split('\n')[1]);
        }, ns);
    }

    [Fact]
    public async Task Pod_SpreadOverAKeyNoNodeHas_StaysPendingAsUnresolvable()
    {
        var ns = await NamespaceAsync("nokey");
        var key = "example.com/rack-" + Guid.NewGuid().ToString("N")[..6];
        await CreateAsync(ns, "racked", "racked", Constraint(1, "DoNotSchedule", key: key));

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/racked", "-n", ns, "--timeout=30s");

        Assert.Equal("0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
            (await cluster.GetAsync("get", "pod", "racked", "-n", ns))["status"]!["conditions"]![0]!["message"]!.GetValue<string>());
        await DeleteNamespaceAsync(ns);
    }

    private static string Constraint(int maxSkew, string whenUnsatisfiable, string extra = "", string key = ZoneKey) =>
        $$$"""{"maxSkew":{{{maxSkew}}},"topologyKey":"{{{key}}}","whenUnsatisfiable":"{{{whenUnsatisfiable}}}","labelSelector":{"matchLabels":{"app":"APP"}}{{{(extra.Length > 0 ? "," + extra : "")}}}}""";

    /// <summary>
    /// Runs <paramref name="test"/> with the nodes labelled by zone, once the scheduler has seen the labels (a probe
    /// pod that selects a label set after them has been placed), then takes the labels and the namespace away.
    /// </summary>
    private async Task WithZonesAsync(Func<Task> test, string ns)
    {
        var seen = "berth.test/zones-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            foreach (var (node, zone) in Zones)
                await cluster.Kubectl.SucceedAsync("label", "node", node, $"{ZoneKey}={zone}", "--overwrite");
            await cluster.Kubectl.SucceedAsync("label", "node", Zones[^1].Node, $"{seen}=yes");
            await CreateAsync(ns, "probe", new JsonObject { ["nodeSelector"] = new JsonObject { [seen] = "yes" } });
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/probe", "-n", ns, "--timeout=30s");
            await test();
        }
        finally
        {
            foreach (var (node, _) in Zones)
                await cluster.Kubectl.SucceedAsync("label", "node", node, $"{ZoneKey}-");
            await cluster.Kubectl.SucceedAsync("label", "node", Zones[^1].Node, $"{seen}-");
            await DeleteNamespaceAsync(ns);
        }
    }

    /// <summary>The namespace's <c>app=web</c> pods per zone of their nodes.</summary>
    private async Task<Dictionary<string, int>> PodsPerZoneAsync(string ns)
    {
        var zones = Zones.ToDictionary(z => z.Node, z => z.Zone, StringComparer.Ordinal);
        var pods = (await cluster.GetAsync("get", "pods", "-n", ns, "-l", "app=web"))["items"]!.AsArray();
        return pods.Select(p => zones[p!["spec"]!["nodeName"]!.GetValue<string>()])
            .GroupBy(z => z, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    private static string Describe(Dictionary<string, int> perZone) =>
        string.Join(" ", perZone.OrderBy(z => z.Key, StringComparer.Ordinal).Select(z => $"{z.Key}={z.Value}"));

    private async Task<string> NamespaceAsync(string purpose)
    {
        var ns = $"{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        return ns;
    }

    private async Task DeleteNamespaceAsync(string ns) => await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");

    private Task CreateAsync(string ns, string name, string app, string constraint) =>
        CreateAsync(ns, name, new JsonObject
        {
            ["topologySpreadConstraints"] = new JsonArray(JsonNode.Parse(constraint.Replace("APP", app, StringComparison.Ordinal))),
        }, app);

    private async Task CreateAsync(string ns, string name, JsonObject spec, string app = "probe")
    {
        spec["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "registry.local/app:1" });
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = app } },
            ["spec"] = spec,
        };
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(pod.ToJsonString(), ".json"));
    }
}
