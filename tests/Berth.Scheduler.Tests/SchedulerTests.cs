using Berth.Testing;

namespace Berth.Scheduler.Tests;

/// <summary>The scheduler through the real kubectl: placing pods, spreading them, and explaining the ones it cannot place.</summary>
public sealed class SchedulerTests(SchedulerClusterFixture cluster) : IClassFixture<SchedulerClusterFixture>
{
    [Fact]
    public async Task Pod_WithoutANode_IsScheduledRunsAndHasAScheduledEvent()
    {
        var ns = await NamespaceAsync("place");
        await CreateAsync(ns, "web", """{"containers":[{"name":"web","image":"registry.local/web:1"}]}""");

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/web", "-n", ns, "--timeout=30s");

        var node = (await cluster.GetAsync("get", "pod", "web", "-n", ns))["spec"]!["nodeName"]!.GetValue<string>();
        Assert.Matches("^sim-[0-2]$", node);
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns)).Out
            .Contains($"Successfully assigned {ns}/web to {node}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the Scheduled event");
    }

    [Fact]
    public async Task Pods_AreSpreadOverTheLeastAllocatedNodes()
    {
        var ns = await NamespaceAsync("spread");
        for (var i = 0; i < 6; i++)
            await CreateAsync(ns, $"worker-{i}", """{"containers":[{"name":"w","image":"registry.local/w:1","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}}]}""");

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pods", "--all", "-n", ns, "--timeout=30s");

        var nodes = (await cluster.GetAsync("get", "pods", "-n", ns))["items"]!.AsArray().Select(p => p!["spec"]!["nodeName"]!.GetValue<string>()).ToList();
        Assert.Equal(3, nodes.Distinct().Count());
    }

    [Fact]
    public async Task Pod_ThatFitsNoNode_StaysPendingWithUpstreamsExplanation()
    {
        var ns = await NamespaceAsync("nofit");
        await CreateAsync(ns, "huge", """{"containers":[{"name":"main","image":"registry.local/app:1","resources":{"requests":{"cpu":"64"}}}]}""");

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/huge", "-n", ns, "--timeout=30s");

        var condition = (await cluster.GetAsync("get", "pod", "huge", "-n", ns))["status"]!["conditions"]![0]!;
        Assert.Equal("PodScheduled", condition["type"]!.GetValue<string>());
        Assert.Equal("False", condition["status"]!.GetValue<string>());
        Assert.Equal("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
            condition["message"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.SucceedAsync("describe", "pod", "huge", "-n", ns)).Out
            .Contains("FailedScheduling", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "describe to show the FailedScheduling event");
        var described = (await cluster.Kubectl.SucceedAsync("describe", "pod", "huge", "-n", ns)).Out;
        Assert.Matches(@"Warning\s+FailedScheduling\s+.*default-scheduler\s+0/3 nodes are available: 3 Insufficient cpu\. preemption: ", described);
        Assert.Matches(@"^huge\s+0/1\s+Pending\s", (await cluster.Kubectl.SucceedAsync("get", "pod", "huge", "-n", ns)).Out.Split('\n')[1]);
    }

    [Fact]
    public async Task Pod_WhoseSelectorNoNodeMatches_IsScheduledOnceANodeIsLabelled()
    {
        var ns = await NamespaceAsync("label");
        var label = "disk-" + Guid.NewGuid().ToString("N")[..6];
        await CreateAsync(ns, "picky", """{"nodeSelector":{"LABEL":"ssd"},"containers":[{"name":"main","image":"registry.local/app:1"}]}""".Replace("LABEL", label, StringComparison.Ordinal));

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/picky", "-n", ns, "--timeout=30s");
        Assert.Equal("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
            (await cluster.GetAsync("get", "pod", "picky", "-n", ns))["status"]!["conditions"]![0]!["message"]!.GetValue<string>());

        await cluster.Kubectl.SucceedAsync("label", "node", "sim-1", $"{label}=ssd");
        try
        {
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/picky", "-n", ns, "--timeout=30s");
            Assert.Equal("sim-1", (await cluster.GetAsync("get", "pod", "picky", "-n", ns))["spec"]!["nodeName"]!.GetValue<string>());
        }
        finally
        {
            await cluster.Kubectl.SucceedAsync("label", "node", "sim-1", $"{label}-");
        }
    }

    [Fact]
    public async Task Pod_WithSchedulingGates_WaitsUntilTheLastGateIsRemoved()
    {
        var ns = await NamespaceAsync("gated");
        await CreateAsync(ns, "gated", """{"schedulingGates":[{"name":"example.com/quota"},{"name":"example.com/review"}],"containers":[{"name":"main","image":"registry.local/app:1"}]}""");

        Assert.Matches(@"^gated\s+0/1\s+SchedulingGated\s", (await cluster.Kubectl.SucceedAsync("get", "pod", "gated", "-n", ns)).Out.Split('\n')[1]);
        var condition = (await cluster.GetAsync("get", "pod", "gated", "-n", ns))["status"]!["conditions"]![0]!;
        Assert.Equal("SchedulingGated", condition["reason"]!.GetValue<string>());
        Assert.Equal("Scheduling is blocked due to non-empty scheduling gates", condition["message"]!.GetValue<string>());

        var added = await cluster.Kubectl.RunAsync("patch", "pod", "gated", "-n", ns, "--type=json",
            "-p", """[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"example.com/late"}}]""");
        Assert.NotEqual(0, added.ExitCode);
        Assert.Contains("spec.schedulingGates[2].name: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/late'", added.Err, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("patch", "pod", "gated", "-n", ns, "--type=json", "-p", """[{"op":"remove","path":"/spec/schedulingGates/0"}]""");
        var stillGated = await cluster.GetAsync("get", "pod", "gated", "-n", ns);
        Assert.Equal("SchedulingGated", stillGated["status"]!["conditions"]![0]!["reason"]!.GetValue<string>());
        Assert.Null(stillGated["spec"]!["nodeName"]);

        await cluster.Kubectl.SucceedAsync("patch", "pod", "gated", "-n", ns, "--type=json", "-p", """[{"op":"remove","path":"/spec/schedulingGates"}]""");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/gated", "-n", ns, "--timeout=30s");
    }

    [Fact]
    public async Task Pod_WithAClaim_WaitsForItToBeBound_ThenGoesWhereItsLocalVolumeIs()
    {
        var ns = await NamespaceAsync("claims");
        var volume = "local-" + ns;
        await CreateAsync(ns, "db", """{"containers":[{"name":"db","image":"registry.local/db:1"}],"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data"}}]}""");
        async Task<string?> WhyAsync() => (string?)(await cluster.GetAsync("get", "pod", "db", "-n", ns))["status"]?["conditions"]?[0]?["message"];

        await Eventually.TrueAsync(async () => await WhyAsync() == "0/3 nodes are available: persistentvolumeclaim \"data\" not found. "
            + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.", TimeSpan.FromSeconds(30), "the missing claim to be named");
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(
            """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"","resources":{"requests":{"storage":"1Gi"}}}}""", ".json"));
        await Eventually.TrueAsync(async () => await WhyAsync() == "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
            + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.", TimeSpan.FromSeconds(30), "the unbound claim to be named");
        await cluster.Kubectl.SucceedAsync("create", "-f", await cluster.Files.WriteAsync("""
            {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"VOLUME"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],
             "storageClassName":"","local":{"path":"/mnt/disks/a"},"claimRef":{"namespace":"NAMESPACE","name":"data"},
             "nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"In","values":["sim-1"]}]}]}}}}
            """.Replace("VOLUME", volume, StringComparison.Ordinal).Replace("NAMESPACE", ns, StringComparison.Ordinal), ".json"));

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/db", "-n", ns, "--timeout=30s");
        Assert.Equal("sim-1", (string?)(await cluster.GetAsync("get", "pod", "db", "-n", ns))["spec"]!["nodeName"]);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
        await cluster.Kubectl.SucceedAsync("delete", "pv", volume, "--wait=false");
    }

    [Fact]
    public async Task Pod_WhoseReadWriteOncePodClaimAnotherPodUses_WaitsUntilThatPodIsGone()
    {
        var ns = await NamespaceAsync("once-pod");
        var volume = "solo-" + ns;
        await cluster.Kubectl.SucceedAsync("create", "-f", await cluster.Files.WriteAsync("""
            {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"VOLUME"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOncePod"],
             "storageClassName":"","local":{"path":"/mnt/disks/solo"},"claimRef":{"namespace":"NAMESPACE","name":"solo"},
             "nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"In","values":["sim-2"]}]}]}}}}
            """.Replace("VOLUME", volume, StringComparison.Ordinal).Replace("NAMESPACE", ns, StringComparison.Ordinal), ".json"));
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(
            """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"solo"},"spec":{"accessModes":["ReadWriteOncePod"],"storageClassName":"","resources":{"requests":{"storage":"1Gi"}}}}""", ".json"));
        const string Spec = """{"containers":[{"name":"db","image":"registry.local/db:1"}],"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"solo"}}]}""";
        await CreateAsync(ns, "first", Spec);
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/first", "-n", ns, "--timeout=30s");

        await CreateAsync(ns, "second", Spec);
        async Task<string?> WhyAsync() => (string?)(await cluster.GetAsync("get", "pod", "second", "-n", ns))["status"]?["conditions"]?[0]?["message"];
        await Eventually.TrueAsync(async () => await WhyAsync() == "0/3 nodes are available: 3 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode. "
            + "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.", TimeSpan.FromSeconds(30), "the claim in use to be named");
        await cluster.Kubectl.SucceedAsync("delete", "pod", "first", "-n", ns);

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/second", "-n", ns, "--timeout=30s");
        Assert.Equal("sim-2", (string?)(await cluster.GetAsync("get", "pod", "second", "-n", ns))["spec"]!["nodeName"]);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
        await cluster.Kubectl.SucceedAsync("delete", "pv", volume, "--wait=false");
    }

    private async Task<string> NamespaceAsync(string purpose)
    {
        var ns = $"{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        return ns;
    }

    private async Task CreateAsync(string ns, string name, string spec) =>
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(
            $$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{name}}"},"spec":SPEC}""".Replace("SPEC", spec, StringComparison.Ordinal), ".json"));
}
