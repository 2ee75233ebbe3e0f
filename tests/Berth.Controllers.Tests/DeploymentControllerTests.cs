using System.Text.Json.Nodes;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>Deployments through the real kubectl (rollout status, undo, pause, resume, scale) on hollow nodes.</summary>
public sealed class DeploymentControllerTests(WorkloadClusterFixture cluster) : IClassFixture<WorkloadClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Deployment_WhenCreated_ThenRollsOutThroughARevisionedReplicaSet()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, Deployment("web", 3, "example.com/web:1"));

        var status = await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        Assert.Contains("deployment \"web\" successfully rolled out", status.Out, StringComparison.Ordinal);

        var deployment = await cluster.GetAsync("get", "deployment", "web", "-n", ns);
        Assert.Equal("1", deployment["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>());
        Assert.Equal(3, deployment["status"]!["availableReplicas"]!.GetValue<int>());
        Assert.Equal(3, deployment["status"]!["updatedReplicas"]!.GetValue<int>());
        var conditions = deployment["status"]!["conditions"]!.AsArray();
        Assert.Contains(conditions, c => c!["type"]!.GetValue<string>() == "Available" && c["status"]!.GetValue<string>() == "True");
        Assert.Contains(conditions, c => c!["type"]!.GetValue<string>() == "Progressing" && c["reason"]!.GetValue<string>() == "NewReplicaSetAvailable");

        var replicaSet = (await cluster.GetAsync("get", "rs", "-n", ns))["items"]!.AsArray().Single()!;
        var hash = replicaSet["metadata"]!["labels"]!["pod-template-hash"]!.GetValue<string>();
        Assert.Equal($"web-{hash}", replicaSet["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(hash, replicaSet["spec"]!["selector"]!["matchLabels"]!["pod-template-hash"]!.GetValue<string>());
        Assert.Equal("1", replicaSet["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>());
        Assert.Equal(deployment["metadata"]!["uid"]!.GetValue<string>(), replicaSet["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task SetImage_WhenRolling_ThenSurgeAndUnavailableBoundsHoldAndUndoRestoresTheOldTemplate()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, Deployment("roll", 4, "example.com/web:1", "maxSurge: 1\n      maxUnavailable: 1"));
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/roll", "-n", ns, "--timeout=60s");

        // Every pod change, as a watch sees it: never more than 4 + 1 pods, never fewer than 4 − 1 ready ones.
        var pods = new Dictionary<string, (bool Live, bool Ready)>(StringComparer.Ordinal);
        var violations = new List<string>();
        using var stop = new CancellationTokenSource();
        var watching = WatchPodsAsync(ns, (old, now, listed) =>
        {
            pods[(now ?? old)!["metadata"]!["name"]!.GetValue<string>()] = (now is not null && now["metadata"]!["deletionTimestamp"] is null, Ready(now));
            var live = pods.Values.Count(p => p.Live);
            var ready = pods.Values.Count(p => p.Live && p.Ready);
            if (listed && (live > 5 || ready < 3))
                violations.Add($"{live} pods, {ready} ready");
        }, stop.Token);
        await watching.Synced;

        await cluster.Kubectl.SucceedAsync("set", "image", "deployment/roll", "app=example.com/web:2", "-n", ns);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/roll", "-n", ns, "--timeout=60s");
        await stop.CancelAsync();
        await watching.Running;
        Assert.True(violations.Count == 0, string.Join("; ", violations));
        Assert.Equal("2", (await cluster.GetAsync("get", "deployment", "roll", "-n", ns))["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>());

        await cluster.Kubectl.SucceedAsync("rollout", "undo", "deployment/roll", "-n", ns);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/roll", "-n", ns, "--timeout=60s");

        var deployment = await cluster.GetAsync("get", "deployment", "roll", "-n", ns);
        Assert.Equal("example.com/web:1", deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("3", deployment["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>());
        var sets = (await cluster.GetAsync("get", "rs", "-n", ns))["items"]!.AsArray();
        Assert.Equal(2, sets.Count);
        var restored = sets.Single(rs => rs!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>() == "example.com/web:1")!;
        Assert.Equal("3", restored["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>());
        Assert.Equal(4, restored["status"]!["readyReplicas"]!.GetValue<int>());
        var history = await cluster.Kubectl.SucceedAsync("rollout", "history", "deployment/roll", "-n", ns);
        Assert.Matches(@"(?m)^2\s", history.Out);
        Assert.Matches(@"(?m)^3\s", history.Out);
    }

    [Fact]
    public async Task Pause_WhenTheTemplateChanges_ThenNothingRollsUntilResumed()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, Deployment("paused", 2, "example.com/web:1"));
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/paused", "-n", ns, "--timeout=60s");

        await cluster.Kubectl.SucceedAsync("rollout", "pause", "deployment/paused", "-n", ns);
        await cluster.Kubectl.SucceedAsync("set", "image", "deployment/paused", "app=example.com/web:2", "-n", ns);
        await Eventually.TrueAsync(async () =>
        {
            var d = await cluster.GetAsync("get", "deployment", "paused", "-n", ns);
            return d["status"]!["observedGeneration"]!.GetValue<long>() == d["metadata"]!["generation"]!.GetValue<long>()
                && d["status"]!["conditions"]!.AsArray().Any(c => c!["reason"]!.GetValue<string>() == "DeploymentPaused");
        }, Deadline, "the paused deployment to be observed");
        Assert.Single((await cluster.GetAsync("get", "rs", "-n", ns))["items"]!.AsArray());

        await cluster.Kubectl.SucceedAsync("rollout", "resume", "deployment/paused", "-n", ns);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/paused", "-n", ns, "--timeout=60s");
        Assert.Equal(2, (await cluster.GetAsync("get", "rs", "-n", ns))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Rollout_WhenPodsNeverGetReady_ThenReportsProgressDeadlineExceeded()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: stuck
            spec:
              replicas: 1
              progressDeadlineSeconds: 3
              selector:
                matchLabels: {app: stuck}
              template:
                metadata:
                  labels: {app: stuck}
                  annotations: {sim.berth.dev/readiness-fails.app: "0s-"}
                spec:
                  containers:
                  - name: app
                    image: example.com/web:1
                    readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1, failureThreshold: 1}
            """);

        var status = await cluster.Kubectl.RunAsync("rollout", "status", "deployment/stuck", "-n", ns, "--timeout=60s");

        Assert.NotEqual(0, status.ExitCode);
        Assert.Contains("deployment \"stuck\" exceeded its progress deadline", status.Err, StringComparison.Ordinal);
        var progressing = (await cluster.GetAsync("get", "deployment", "stuck", "-n", ns))["status"]!["conditions"]!.AsArray()
            .Single(c => c!["type"]!.GetValue<string>() == "Progressing")!;
        Assert.Equal("False", progressing["status"]!.GetValue<string>());
        Assert.Matches(@"^ReplicaSet ""stuck-\w+"" has timed out progressing\.$", progressing["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Scale_WhenUpAndDown_ThenTheReplicaSetFollows()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, Deployment("scaled", 1, "example.com/web:1"));
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/scaled", "-n", ns, "--timeout=60s");

        await cluster.Kubectl.SucceedAsync("scale", "deployment/scaled", "--replicas=4", "-n", ns);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/scaled", "-n", ns, "--timeout=60s");
        await Eventually.TrueAsync(async () => (await cluster.GetAsync("get", "deployment", "scaled", "-n", ns))["status"]?["availableReplicas"]?.GetValue<int>() == 4,
            Deadline, "4 available replicas");

        await cluster.Kubectl.SucceedAsync("scale", "deployment/scaled", "--replicas=2", "-n", ns);
        await Eventually.TrueAsync(async () =>
        {
            var rs = (await cluster.GetAsync("get", "rs", "-n", ns))["items"]!.AsArray().Single()!;
            return rs["spec"]!["replicas"]!.GetValue<int>() == 2 && rs["status"]?["replicas"]?.GetValue<int>() == 2;
        }, Deadline, "the replica set to shrink to 2");
    }

    [Fact]
    public async Task Restart_WhenRecreate_ThenEveryOldPodGoesBeforeANewOneComes()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.ApplyAsync(ns, Deployment("recreated", 2, "example.com/web:1").Replace("  selector:", "  strategy: {type: Recreate}\n  selector:", StringComparison.Ordinal));
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/recreated", "-n", ns, "--timeout=60s");
        var oldHash = (await cluster.GetAsync("get", "pods", "-n", ns))["items"]![0]!["metadata"]!["labels"]!["pod-template-hash"]!.GetValue<string>();

        // From a watch: no pod of the new template while a pod of the old one still runs (is not being deleted).
        var live = new Dictionary<string, string>(StringComparer.Ordinal);
        var overlaps = new List<string>();
        using var stop = new CancellationTokenSource();
        var watching = WatchPodsAsync(ns, (old, now, _) =>
        {
            var pod = now ?? old!;
            var name = pod["metadata"]!["name"]!.GetValue<string>();
            if (now is null || now["metadata"]!["deletionTimestamp"] is not null)
                live.Remove(name);
            else
                live[name] = now["metadata"]!["labels"]!["pod-template-hash"]!.GetValue<string>();
            if (live.ContainsValue(oldHash) && live.Values.Any(h => h != oldHash))
                overlaps.Add(string.Join(", ", live.Keys));
        }, stop.Token);
        await watching.Synced;

        await cluster.Kubectl.SucceedAsync("rollout", "restart", "deployment/recreated", "-n", ns);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/recreated", "-n", ns, "--timeout=60s");
        await stop.CancelAsync();
        await watching.Running;

        Assert.True(overlaps.Count == 0, string.Join("; ", overlaps));
        var pods = (await cluster.GetAsync("get", "pods", "-n", ns))["items"]!.AsArray().Where(p => p!["metadata"]!["deletionTimestamp"] is null).ToList();
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.NotEqual(oldHash, p!["metadata"]!["labels"]!["pod-template-hash"]!.GetValue<string>()));
    }

    /// <summary>
    /// Follows the namespace's pods with an informer until cancelled; changes come one at a time, with whether the first
    /// list is over (before, the pods already there arrive one by one).
    /// </summary>
    private (Task Synced, Task Running) WatchPodsAsync(string ns, Action<JsonObject?, JsonObject?, bool> changed, CancellationToken cancellationToken)
    {
        var listed = false;
        var informer = new Informer<JsonObject>(cluster.Client, new ApiResource("", "v1", "Pod", "pods", true, ["list", "watch"]),
            e => JsonNode.Parse(e.GetRawText())!.AsObject(), NullLogger<Informer<JsonObject>>.Instance);
        informer.OnChange((old, now) =>
        {
            if ((now ?? old)!["metadata"]!["namespace"]!.GetValue<string>() == ns)
            {
                lock (informer)
                    changed(old, now, listed);
            }
        });
        var running = informer.RunAsync(cancellationToken);
        return (informer.Synced.ContinueWith(_ => { lock (informer) listed = true; }, TaskScheduler.Default), running);
    }

    private static bool Ready(JsonObject? pod) =>
        (pod?["status"]?["conditions"] as JsonArray ?? []).Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True");

    private static string Deployment(string name, int replicas, string image, string? rolling = null) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{name}}
        spec:
          replicas: {{replicas}}
          {{(rolling is null ? "" : "strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      " + rolling)}}
          selector:
            matchLabels: {app: {{name}}}
          template:
            metadata:
              labels: {app: {{name}}}
            spec:
              containers:
              - name: app
                image: {{image}}
                resources:
                  requests: {cpu: 10m, memory: 16Mi}
        """;
}
