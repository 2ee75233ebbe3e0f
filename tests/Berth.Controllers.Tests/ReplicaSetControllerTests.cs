using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>The ReplicaSet controller through the real kubectl, on hollow nodes with the scheduler placing the pods.</summary>
public sealed class ReplicaSetControllerTests(WorkloadClusterFixture cluster) : IClassFixture<WorkloadClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReplicaSet_WhenCreated_ThenRunsItsReplicasAndReportsThemReady()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, ReplicaSet("web", 3));

        await WaitForStatusAsync(ns, "web", replicas: 3, ready: 3);

        var pods = (await cluster.GetAsync("get", "pods", "-n", ns, "-l", "app=web"))["items"]!.AsArray();
        Assert.Equal(3, pods.Count);
        var rs = await cluster.GetAsync("get", "rs", "web", "-n", ns);
        foreach (var pod in pods)
        {
            Assert.StartsWith("web-", pod!["metadata"]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
            var owner = pod["metadata"]!["ownerReferences"]![0]!;
            Assert.Equal(rs["metadata"]!["uid"]!.GetValue<string>(), owner["uid"]!.GetValue<string>());
            Assert.True(owner["controller"]!.GetValue<bool>());
            Assert.True(owner["blockOwnerDeletion"]!.GetValue<bool>());
            Assert.Equal("Running", pod["status"]!["phase"]!.GetValue<string>());
        }
        Assert.Equal(3, rs["status"]!["availableReplicas"]!.GetValue<int>());
        Assert.Equal(3, rs["status"]!["fullyLabeledReplicas"]!.GetValue<int>());
        Assert.Equal(rs["metadata"]!["generation"]!.GetValue<long>(), rs["status"]!["observedGeneration"]!.GetValue<long>());

        var table = (await cluster.Kubectl.SucceedAsync("get", "rs", "web", "-n", ns, "--no-headers")).Out.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["web", "3", "3", "3"], table[..4]);
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.SucceedAsync("describe", "rs", "web", "-n", ns)).Out.Contains("SuccessfulCreate", StringComparison.Ordinal),
            Deadline, "the SuccessfulCreate events to show in describe");
    }

    [Fact]
    public async Task ReplicaSet_WhenItCreatesManyPods_ThenItsEventsAreCombinedAndLimitedAsUpstreams()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, ReplicaSet("many", 40));
        await WaitForStatusAsync(ns, "many", replicas: 40, ready: 40);

        // 9 events of their own, then one combined event counting the next 16; the last 15 exceed the budget of 25.
        JsonArray events = [];
        await Eventually.TrueAsync(async () =>
        {
            events = (await cluster.GetAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=many,reason=SuccessfulCreate"))["items"]!.AsArray();
            return events.Count == 10 && events.Any(e => e!["count"]!.GetValue<int>() == 16);
        }, Deadline, "ten SuccessfulCreate events, one of them counting 16");
        var combined = Assert.Single(events, e => e!["message"]!.GetValue<string>().StartsWith("(combined from similar events): Created pod: many-", StringComparison.Ordinal));
        Assert.Equal(16, combined!["count"]!.GetValue<int>());
        Assert.All(events.Except([combined]), e => Assert.Equal(1, e!["count"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Scale_WhenUpThenDown_ThenPodsFollow()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, ReplicaSet("scaled", 2));
        await WaitForStatusAsync(ns, "scaled", replicas: 2, ready: 2);

        await cluster.Kubectl.SucceedAsync("scale", "rs", "scaled", "-n", ns, "--replicas=5");
        await WaitForStatusAsync(ns, "scaled", replicas: 5, ready: 5);

        await cluster.Kubectl.SucceedAsync("scale", "rs", "scaled", "-n", ns, "--replicas=2");
        await WaitForStatusAsync(ns, "scaled", replicas: 2, ready: 2);
        await Eventually.TrueAsync(async () => (await PodNamesAsync(ns, "scaled")).Count == 2, Deadline, "the surplus pods to go");
        var rs = await cluster.GetAsync("get", "rs", "scaled", "-n", ns);
        Assert.Equal(2, rs["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task ScaleDown_DeletesThePodsWithTheLowestDeletionCostFirst()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, ReplicaSet("costed", 3));
        await WaitForStatusAsync(ns, "costed", replicas: 3, ready: 3);
        var pods = await PodNamesAsync(ns, "costed");
        await cluster.Kubectl.SucceedAsync("annotate", "pod", "-n", ns, pods[0], "controller.kubernetes.io/pod-deletion-cost=100");
        await cluster.Kubectl.SucceedAsync("annotate", "pod", "-n", ns, pods[1], "controller.kubernetes.io/pod-deletion-cost=-100");
        await cluster.Kubectl.SucceedAsync("annotate", "pod", "-n", ns, pods[2], "controller.kubernetes.io/pod-deletion-cost=5");

        await cluster.Kubectl.SucceedAsync("scale", "rs", "costed", "-n", ns, "--replicas=1");

        await Eventually.TrueAsync(async () => (await PodNamesAsync(ns, "costed")).Count == 1, Deadline, "two pods to go");
        Assert.Equal([pods[0]], await PodNamesAsync(ns, "costed"));
    }

    [Fact]
    public async Task Pod_WhenDeleted_ThenTheReplicaSetReplacesIt()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, ReplicaSet("healing", 2));
        await WaitForStatusAsync(ns, "healing", replicas: 2, ready: 2);
        var victim = (await PodNamesAsync(ns, "healing"))[0];

        await cluster.Kubectl.SucceedAsync("delete", "pod", victim, "-n", ns, "--wait=false");

        await Eventually.TrueAsync(async () => (await PodNamesAsync(ns, "healing")) is { Count: 2 } names && !names.Contains(victim),
            Deadline, "a replacement for the deleted pod");
        await WaitForStatusAsync(ns, "healing", replicas: 2, ready: 2);
    }

    [Fact]
    public async Task ReplicaSet_WhenAnOrphanMatches_ThenAdoptsItAndReleasesAPodRelabelledAway()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: orphan
              labels: {app: adopt}
            spec:
              containers: [{name: app, image: example.com/app:1}]
            """);
        await cluster.ApplyAsync(ns, ReplicaSet("adopt", 2));
        await WaitForStatusAsync(ns, "adopt", replicas: 2, ready: 2);

        var rsUid = (await cluster.GetAsync("get", "rs", "adopt", "-n", ns))["metadata"]!["uid"]!.GetValue<string>();
        var orphan = await cluster.GetAsync("get", "pod", "orphan", "-n", ns);
        Assert.Equal(rsUid, orphan["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>());
        Assert.Equal(2, (await PodNamesAsync(ns, "adopt")).Count);

        await cluster.Kubectl.SucceedAsync("label", "pod", "orphan", "-n", ns, "app=elsewhere", "--overwrite");

        await Eventually.TrueAsync(async () => (await cluster.GetAsync("get", "pod", "orphan", "-n", ns))["metadata"]!["ownerReferences"] is null or JsonArray { Count: 0 },
            Deadline, "the relabelled pod to be released");
        await Eventually.TrueAsync(async () => (await PodNamesAsync(ns, "adopt")).Count == 2, Deadline, "a pod to take the released one's place");
    }

    private async Task WaitForStatusAsync(string ns, string name, int replicas, int ready) =>
        await Eventually.TrueAsync(async () =>
        {
            var status = (await cluster.GetAsync("get", "rs", name, "-n", ns))["status"];
            return status?["replicas"]?.GetValue<int>() == replicas && (status["readyReplicas"]?.GetValue<int>() ?? 0) == ready;
        }, Deadline, $"replica set {name} to have {replicas} replicas, {ready} ready");

    private async Task<List<string>> PodNamesAsync(string ns, string app) =>
        [.. (await cluster.GetAsync("get", "pods", "-n", ns, "-l", $"app={app}"))["items"]!.AsArray()
            .Where(p => p!["metadata"]!["deletionTimestamp"] is null)
            .Select(p => p!["metadata"]!["name"]!.GetValue<string>())];

    private static string ReplicaSet(string name, int replicas) => $$"""
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: {{name}}
        spec:
          replicas: {{replicas}}
          selector:
            matchLabels: {app: {{name}}}
          template:
            metadata:
              labels: {app: {{name}}}
            spec:
              containers:
              - name: app
                image: example.com/app:1
                resources:
                  requests: {cpu: 10m, memory: 16Mi}
        """;
}
