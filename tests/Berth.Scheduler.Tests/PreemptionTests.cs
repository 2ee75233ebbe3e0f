using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Scheduler.Tests;

/// <summary>Preemption through the real kubectl: a high-priority pod that fits nowhere makes room by evicting the fewest lower-priority pods.</summary>
public sealed class PreemptionTests(SchedulerClusterFixture cluster) : IClassFixture<SchedulerClusterFixture>
{
    [Fact]
    public async Task HighPriorityPod_OnAFullCluster_PreemptsOneLowPriorityPodAndRunsInItsPlace()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (low, high, ns) = ($"low-{suffix}", $"high-{suffix}", $"preempt-{suffix}");
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        await cluster.Kubectl.SucceedAsync("create", "priorityclass", low, "--value=100");
        await cluster.Kubectl.SucceedAsync("create", "priorityclass", high, "--value=1000");
        try
        {
            // Each node has 4 CPUs: one 3-CPU pod fills it.
            for (var i = 0; i < 3; i++)
                await CreateAsync(ns, $"filler-{i}", low, "3");
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pods", "--all", "-n", ns, "--timeout=60s");
            Assert.Equal(3, (await NodesOfAsync(ns)).Distinct().Count());

            await CreateAsync(ns, "urgent", high, "3");

            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", "pod/urgent", "-n", ns, "--timeout=60s");
            var urgent = await cluster.GetAsync("get", "pod", "urgent", "-n", ns);
            var node = urgent["spec"]!["nodeName"]!.GetValue<string>();
            Assert.Equal(node, urgent["status"]!["nominatedNodeName"]?.GetValue<string>());
            Assert.Equal(1000, urgent["spec"]!["priority"]!.GetValue<int>());

            var left = (await cluster.GetAsync("get", "pods", "-n", ns))["items"]!.AsArray()
                .Select(p => p!["metadata"]!["name"]!.GetValue<string>()).Where(n => n.StartsWith("filler-", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, left.Count);
            // Events are written in the background.
            var preempted = new System.Text.RegularExpressions.Regex($@"Preempted\s+pod/filler-[0-2]\s+Preempted by pod {urgent["metadata"]!["uid"]} on node {node}");
            await Eventually.TrueAsync(async () => preempted.IsMatch((await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns)).Out),
                TimeSpan.FromSeconds(30), "the Preempted event");
        }
        finally
        {
            await cluster.Kubectl.RunAsync("delete", "namespace", ns, "--wait=false");
            await cluster.Kubectl.RunAsync("delete", "priorityclass", low, high);
        }
    }

    [Fact]
    public async Task PodThatMayNotPreempt_StaysPendingAndSaysWhy()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (polite, ns) = ($"polite-{suffix}", $"never-{suffix}");
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        await cluster.Kubectl.SucceedAsync("create", "priorityclass", polite, "--value=2000", "--preemption-policy=Never");
        try
        {
            await CreateAsync(ns, "waiting", polite, "64");

            await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.conditions[0].reason}=Unschedulable", "pod/waiting", "-n", ns, "--timeout=30s");
            Assert.Equal("0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
                (await cluster.GetAsync("get", "pod", "waiting", "-n", ns))["status"]!["conditions"]![0]!["message"]!.GetValue<string>());
        }
        finally
        {
            await cluster.Kubectl.RunAsync("delete", "namespace", ns, "--wait=false");
            await cluster.Kubectl.RunAsync("delete", "priorityclass", polite);
        }
    }

    private async Task<List<string>> NodesOfAsync(string ns) =>
        [.. (await cluster.GetAsync("get", "pods", "-n", ns))["items"]!.AsArray().Select(p => p!["spec"]!["nodeName"]!.GetValue<string>())];

    private async Task CreateAsync(string ns, string name, string priorityClass, string cpu)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["priorityClassName"] = priorityClass,
                ["terminationGracePeriodSeconds"] = 1,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "main",
                    ["image"] = "registry.local/app:1",
                    ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = cpu } },
                }),
            },
        };
        await cluster.Kubectl.SucceedAsync("create", "-n", ns, "-f", await cluster.Files.WriteAsync(pod.ToJsonString(), ".json"));
    }
}
