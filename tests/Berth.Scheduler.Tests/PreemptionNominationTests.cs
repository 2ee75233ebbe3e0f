using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Scheduler.Tests;

/// <summary>
/// Preemption through the real kubectl, on a cluster of its own: a pod nominated to a node loses the nomination when a
/// pod of higher priority makes room on that node, as upstream's scheduler takes it back.
/// </summary>
public sealed class PreemptionNominationTests(SchedulerClusterFixture cluster) : IClassFixture<SchedulerClusterFixture>
{
    private const string Hold = "example.com/hold";

    [Fact]
    public async Task HigherPriorityPreemptionOnTheSameNode_TakesTheLowerNominationBack()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (low, mid, high, ns) = ($"low-{suffix}", $"mid-{suffix}", $"high-{suffix}", $"nominated-{suffix}");
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        await cluster.Kubectl.SucceedAsync("create", "priorityclass", low, "--value=100");
        await cluster.Kubectl.SucceedAsync("create", "priorityclass", mid, "--value=500");
        await cluster.Kubectl.SucceedAsync("create", "priorityclass", high, "--value=1000");
        try
        {
            // Each node has 4 CPUs: one 3-CPU filler fills it, and its finalizer keeps a preempted filler terminating,
            // so that the pod that preempted it stays nominated.
            for (var i = 0; i < 3; i++)
                await CreateAsync(ns, $"filler-{i}", low, finalizer: Hold);
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pods", "--all", "-n", ns, "--timeout=60s");
            await CreateAsync(ns, "mid", mid);
            string? node = null;
            await Eventually.TrueAsync(async () => (node = await NominatedNodeAsync(ns, "mid")) is not null, TimeSpan.FromSeconds(30), "mid to be nominated");

            await CreateAsync(ns, "high", high, node: node);

            await Eventually.TrueAsync(async () => await NominatedNodeAsync(ns, "high") == node, TimeSpan.FromSeconds(30), "high to be nominated to mid's node");
            await Eventually.TrueAsync(async () => await NominatedNodeAsync(ns, "mid") != node, TimeSpan.FromSeconds(30), "mid's nomination to be taken back");
        }
        finally
        {
            foreach (var filler in new[] { "filler-0", "filler-1", "filler-2" })
                await cluster.Kubectl.RunAsync("patch", "pod", filler, "-n", ns, "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
            await cluster.Kubectl.RunAsync("delete", "namespace", ns, "--wait=false");
            await cluster.Kubectl.RunAsync("delete", "priorityclass", low, mid, high);
        }
    }

    private async Task<string?> NominatedNodeAsync(string ns, string pod) =>
        (string?)(await cluster.GetAsync("get", "pod", pod, "-n", ns))["status"]?["nominatedNodeName"];

    /// <summary>A pod asking for 3 CPUs, with a finalizer or on one node if asked.</summary>
    private async Task CreateAsync(string ns, string name, string priorityClass, string? finalizer = null, string? node = null)
    {
        var spec = new JsonObject
        {
            ["priorityClassName"] = priorityClass,
            ["terminationGracePeriodSeconds"] = 1,
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = "registry.local/app:1",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "3" } },
            }),
        };
        if (node is not null)
            spec["nodeSelector"] = new JsonObject { ["kubernetes.io/hostname"] = node };
        var metadata = new JsonObject { ["name"] = name };
        if (finalizer is not null)
            metadata["finalizers"] = new JsonArray(finalizer);
        var pod = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec };
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(pod.ToJsonString(), ".json"));
    }
}
