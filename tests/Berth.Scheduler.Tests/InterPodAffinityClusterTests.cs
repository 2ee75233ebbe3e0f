using Berth.Testing;

namespace Berth.Scheduler.Tests;

/// <summary>
/// Pod affinity and anti-affinity through the real kubectl, on the fixture's three hollow nodes put in zones a, b and
/// c for each test. The pods ask for a zone label (node affinity), so none is placed before the scheduler has seen one.
/// </summary>
public sealed class InterPodAffinityClusterTests(SchedulerClusterFixture cluster) : IClassFixture<SchedulerClusterFixture>
{
    private const string Zone = "topology.kubernetes.io/zone";
    /// <summary>The <c>nodeAffinity</c> field of an affinity that asks for a node in some zone.</summary>
    private const string InAZone = $$$"""
        "nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"{{{Zone}}}","operator":"Exists"}]}]}}
        """;

    private static readonly (string Node, string Zone)[] Zones = [("sim-0", "a"), ("sim-1", "b"), ("sim-2", "c")];

    [Fact]
    public async Task Replicas_WithRequiredAntiAffinityOnTheZone_TakeOneZoneEach_AndAFourthWaitsWithUpstreamsExplanation()
    {
        var ns = await NamespaceAsync("anti");
        var spec = Spec([InAZone, Required("podAntiAffinity", "web")], """{"name":"web","image":"registry.local/web:1"}""");
        await InZonesAsync(ns, async () =>
        {
            for (var i = 0; i < 3; i++)
                await CreateAsync(ns, $"web-{i}", "web", spec);
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pods", "--all", "-n", ns, "--timeout=30s");
            var nodes = (await cluster.GetAsync("get", "pods", "-n", ns))["items"]!.AsArray().Select(p => p!["spec"]!["nodeName"]!.GetValue<string>()).Order(StringComparer.Ordinal);
            Assert.Equal(["sim-0", "sim-1", "sim-2"], nodes);

            await CreateAsync(ns, "web-3", "web", spec);
            await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/web-3", "-n", ns, "--timeout=30s");

            const string Message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
            var condition = (await cluster.GetAsync("get", "pod", "web-3", "-n", ns))["status"]!["conditions"]![0]!;
            Assert.Equal("PodScheduled", condition["type"]!.GetValue<string>());
            Assert.Equal("False", condition["status"]!.GetValue<string>());
            Assert.Equal(Message, condition["message"]!.GetValue<string>());
            await Eventually.TrueAsync(async () => (await cluster.Kubectl.SucceedAsync("describe", "pod", "web-3", "-n", ns)).Out
                .Contains("FailedScheduling", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "describe to show the FailedScheduling event");
            Assert.Matches(@"Warning\s+FailedScheduling\s+.*default-scheduler\s+0/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\. preemption: ",
                (await cluster.Kubectl.SucceedAsync("describe", "pod", "web-3", "-n", ns)).Out);
        });
    }

    [Fact]
    public async Task Pod_WithRequiredAffinityToAPod_GoesToThatPodsZoneAgainstTheResourceScores()
    {
        var ns = await NamespaceAsync("affinity");
        await InZonesAsync(ns, async () =>
        {
            // The db takes most of its node's CPU, so the resource scores alone would send the web elsewhere.
            await CreateAsync(ns, "db", "db", Spec([InAZone], """{"name":"db","image":"registry.local/db:1","resources":{"requests":{"cpu":"3","memory":"4Gi"}}}"""));
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/db", "-n", ns, "--timeout=30s");
            var dbNode = (await cluster.GetAsync("get", "pod", "db", "-n", ns))["spec"]!["nodeName"]!.GetValue<string>();

            await CreateAsync(ns, "web", "web", Spec([Required("podAffinity", "db")],
                """{"name":"web","image":"registry.local/web:1","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}}"""));
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/web", "-n", ns, "--timeout=30s");
            Assert.Equal(dbNode, (await cluster.GetAsync("get", "pod", "web", "-n", ns))["spec"]!["nodeName"]!.GetValue<string>());

            // A pod whose affinity selects no pod, not even itself, fits nowhere, and preemption cannot help.
            await CreateAsync(ns, "lonely", "lonely", Spec([Required("podAffinity", "cache")], """{"name":"lonely","image":"registry.local/lonely:1"}"""));
            await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/lonely", "-n", ns, "--timeout=30s");
            Assert.Equal("0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
                (await cluster.GetAsync("get", "pod", "lonely", "-n", ns))["status"]!["conditions"]![0]!["message"]!.GetValue<string>());
        });
    }

    /// <summary>A <c>podAffinity</c> or <c>podAntiAffinity</c> field with one required term: pods labelled <c>app</c>, by zone.</summary>
    private static string Required(string kind, string app) => $$$"""
        "{{{kind}}}":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"app":"{{{app}}}"}},"topologyKey":"{{{Zone}}}"}]}
        """;

    private static string Spec(string[] affinity, string container) => "{\"affinity\":{" + string.Join(',', affinity) + "},\"containers\":[" + container + "]}";

    /// <summary>Runs <paramref name="test"/> with the nodes in zones a, b and c; then takes the labels and the namespace's pods away again.</summary>
    private async Task InZonesAsync(string ns, Func<Task> test)
    {
        try
        {
            foreach (var (node, zone) in Zones)
                await cluster.Kubectl.SucceedAsync("label", "node", node, $"{Zone}={zone}", "--overwrite");
            await test();
        }
        finally
        {
            foreach (var (node, _) in Zones)
                await cluster.Kubectl.RunAsync("label", "node", node, $"{Zone}-");
            await cluster.Kubectl.RunAsync("delete", "pods", "--all", "-n", ns, "--wait=false");
            await cluster.Kubectl.RunAsync("delete", "namespace", ns, "--wait=false");
        }
    }

    private async Task<string> NamespaceAsync(string purpose)
    {
        var ns = $"{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        return ns;
    }

    private async Task CreateAsync(string ns, string name, string app, string spec) =>
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(
            $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"{{{app}}}"}},"spec":SPEC}""".Replace("SPEC", spec, StringComparison.Ordinal), ".json"));
}
