using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Simulated;
using Berth.Controllers.NodeLifecycle;
using Berth.Scheduler.Configuration;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>
/// A node that stops sending heartbeats, in a cluster of its own: two hollow nodes whose agents can be stopped and
/// started one by one, the scheduler, and the controllers with a 3 s grace period instead of 40.
/// </summary>
public sealed class NodeLifecycleTests : IAsyncLifetime
{
    private const string Survivor = "sim-0";
    private const string Victim = "sim-1";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly NodeLifecycleOptions FastLifecycle = NodeLifecycleOptions.Default with
    {
        MonitorPeriod = TimeSpan.FromMilliseconds(300),
        GracePeriod = TimeSpan.FromSeconds(3),
    };

    private readonly CancellationTokenSource _stopping = new();
    private readonly TempDirectory _files = new("node-lifecycle");
    private LocalApiServer _server = null!;
    private HollowNodes _nodes = null!;
    private CancellationTokenSource _victimRunning = new();
    private readonly List<Task> _running = [];

    private Kubectl Kubectl => _server.Kubectl;

    public async Task InitializeAsync()
    {
        _server = await LocalApiServer.StartAsync("node-lifecycle");
        var host = _server.Host;
        _nodes = HollowNodes.Create(_server.Client(host.IssueNodeCertificate("simulated")), 2, new NodeCapacity("4", "8Gi", "100Gi", 110),
            WorkloadClusterFixture.FastTiming, TimeProvider.System, NullLoggerFactory.Instance);
        var controllerClient = _server.Client(host.ControllerManagerCertificate);
        var scheduler = new Scheduler.Scheduler(controllerClient, SchedulerConfiguration.Default, TimeProvider.System, NullLoggerFactory.Instance);
        var controllers = new ControllerManager(controllerClient, NullLoggerFactory.Instance, TimeProvider.System, nodeLifecycle: FastLifecycle);
        _running.AddRange([
            _nodes.RunWatchesAsync(_stopping.Token),
            _nodes.Agents[0].RunAsync(_stopping.Token),
            _nodes.Agents[1].RunAsync(_victimRunning.Token),
            scheduler.RunAsync(_stopping.Token),
            controllers.RunAsync(_stopping.Token)]);
        await Eventually.TrueAsync(async () => (await Kubectl.RunAsync("get", "node", Victim)).ExitCode == 0, TimeSpan.FromSeconds(30), "the nodes to register");
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _victimRunning.CancelAsync();
        await Task.WhenAll(_running);
        await _server.DisposeAsync();
        _stopping.Dispose();
        _victimRunning.Dispose();
        _files.Dispose();
    }

    [Fact]
    public async Task Node_WhenItsHeartbeatsStop_ThenItIsTaintedItsPodsMoveAndItRecoversWhenTheyResume()
    {
        // The survivor is cordoned (which taints it NoSchedule), so the Deployment's pods all start on the victim.
        await Kubectl.SucceedAsync("cordon", Survivor);
        await Eventually.TrueAsync(async () => (await TaintsAsync(Survivor)).Contains("node.kubernetes.io/unschedulable:NoSchedule"), Deadline,
            "the cordoned node to be tainted unschedulable");
        await Kubectl.SucceedAsync("create", "namespace", "work");
        await Kubectl.SucceedAsync("apply", "-n", "work", "-f", await _files.WriteAsync($$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: nginx:1.27}]
                  tolerations:
                  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
                  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: stays}
            spec:
              nodeName: {{{Victim}}}
              containers: [{name: c, image: busybox}]
              tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: patient}
            spec:
              nodeName: {{{Victim}}}
              containers: [{name: c, image: busybox}]
            """));
        await Kubectl.SucceedAsync("rollout", "status", "-n", "work", "deployment/web", "--timeout=60s");
        await Eventually.TrueAsync(async () => await ReadyAsync("stays") == "True" && await ReadyAsync("patient") == "True", Deadline, "the pinned pods to be ready");
        var firstPods = await WebPodsAsync();
        Assert.All(firstPods, p => Assert.Equal(Victim, p["spec"]!["nodeName"]!.GetValue<string>()));
        // Admission gave the pod that named no tolerations upstream's five minutes for each kind of node trouble.
        var patient = JsonNode.Parse((await Kubectl.SucceedAsync("get", "pod", "-n", "work", "patient", "-o", "json")).Out)!;
        Assert.Equal(2, patient["spec"]!["tolerations"]!.AsArray().Count(t => t!["tolerationSeconds"]?.GetValue<int>() == 300 && t["effect"]!.GetValue<string>() == "NoExecute"));

        await Kubectl.SucceedAsync("uncordon", Survivor);
        await _victimRunning.CancelAsync();
        await _running[2];

        await Eventually.TrueAsync(async () => (await Kubectl.SucceedAsync("get", "node", Victim, "--no-headers")).Out.Contains(" NotReady ", StringComparison.Ordinal),
            Deadline, "the silent node to show NotReady");
        var condition = JsonNode.Parse((await Kubectl.SucceedAsync("get", "node", Victim, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")]}")).Out)!;
        Assert.Equal("Unknown", condition["status"]!.GetValue<string>());
        Assert.Equal("NodeStatusUnknown", condition["reason"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => await TaintsAsync(Victim) is var t
            && t.Contains("node.kubernetes.io/unreachable:NoExecute") && t.Contains("node.kubernetes.io/unreachable:NoSchedule"), Deadline, "the unreachable taints");
        await Eventually.TrueAsync(async () => await ReadyAsync("stays") == "False", Deadline, "the pod on the silent node to be marked not ready");

        // The Deployment's pods are evicted after their 2 s, and come back on the survivor.
        await Eventually.TrueAsync(async () =>
        {
            var pods = await WebPodsAsync();
            var replacements = pods.Where(p => p["metadata"]!["deletionTimestamp"] is null).ToList();
            return replacements.Count == 2 && replacements.All(p => p["spec"]!["nodeName"]?.GetValue<string>() == Survivor && Ready(p) == "True");
        }, Deadline, "two ready replacements on the survivor");
        var evicted = (await WebPodsAsync()).Where(p => firstPods.Any(f => f["metadata"]!["uid"]!.GetValue<string>() == p["metadata"]!["uid"]!.GetValue<string>())).ToList();
        Assert.All(evicted, p => Assert.Contains(p["status"]!["conditions"]!.AsArray(),
            c => c!["type"]!.GetValue<string>() == "DisruptionTarget" && c["reason"]!.GetValue<string>() == "DeletionByTaintManager"));
        var events = (await Kubectl.SucceedAsync("get", "events", "-n", "work", "--field-selector", "reason=TaintManagerEviction", "-o", "name")).Out;
        Assert.NotEmpty(events.Trim());
        // The pods that tolerate the taint (for ever, or for five minutes) stay.
        Assert.Equal(0, (await Kubectl.RunAsync("get", "pod", "-n", "work", "stays")).ExitCode);
        Assert.Null(JsonNode.Parse((await Kubectl.SucceedAsync("get", "pod", "-n", "work", "patient", "-o", "json")).Out)!["metadata"]!["deletionTimestamp"]);

        // The node comes back: Ready, untainted, its pod Ready again, and the evicted pods finish terminating.
        _victimRunning.Dispose();
        _victimRunning = new CancellationTokenSource();
        _running[2] = _nodes.Agents[1].RunAsync(_victimRunning.Token);
        await Eventually.TrueAsync(async () => (await Kubectl.SucceedAsync("get", "node", Victim, "--no-headers")).Out.Contains(" Ready ", StringComparison.Ordinal),
            Deadline, "the node to be Ready again");
        await Eventually.TrueAsync(async () => !(await TaintsAsync(Victim)).Contains("node.kubernetes.io/unreachable", StringComparison.Ordinal), Deadline,
            "the unreachable taints to go");
        await Eventually.TrueAsync(async () => await ReadyAsync("stays") == "True", Deadline, "the pod on the node to be Ready again");
        await Eventually.TrueAsync(async () => (await WebPodsAsync()).Count == 2, Deadline, "the evicted pods to be gone");
    }

    private async Task<List<JsonNode>> WebPodsAsync() =>
        [.. JsonNode.Parse((await Kubectl.SucceedAsync("get", "pods", "-n", "work", "-l", "app=web", "-o", "json")).Out)!["items"]!.AsArray().Select(p => p!)];

    private async Task<string?> ReadyAsync(string pod) =>
        Ready(JsonNode.Parse((await Kubectl.SucceedAsync("get", "pod", "-n", "work", pod, "-o", "json")).Out)!);

    private static string? Ready(JsonNode pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => c!["type"]!.GetValue<string>() == "Ready")?["status"]?.GetValue<string>();

    /// <summary>The node's taints as <c>key:effect</c>, one a line.</summary>
    private async Task<string> TaintsAsync(string node) =>
        (await Kubectl.SucceedAsync("get", "node", node, "-o", "jsonpath={range .spec.taints[*]}{.key}:{.effect}{\"\\n\"}{end}")).Out;
}
