using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Agent.Runtime;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;
using Berth.Core.Serialization;

namespace Berth.Agent.Pods;

/// <summary>
/// Runs the pods bound to one node: watches them (field selector <c>spec.nodeName</c>), gives each a sandbox and its
/// containers through the runtime, reports their status, and when a pod is deleted stops it within its grace period
/// and then deletes the pod object, so that <c>kubectl delete pod</c> returns once it is really gone. What is left of
/// pods that no longer exist is removed from the runtime.
/// </summary>
public sealed class PodLifecycle(ApiClient client, IContainerRuntime runtime, string nodeName, string hostIp, TimeProvider time, ILoggerFactory loggers)
{
    private const int Workers = 2;

    private static readonly TimeSpan RelistPeriod = TimeSpan.FromSeconds(1);

    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", Namespaced: true, ["get", "list", "watch"]);

    private readonly ILogger _logger = loggers.CreateLogger<PodLifecycle>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(time);
        var informer = new Informer<string>(client, Pods, Key, loggers.CreateLogger<Informer<string>>(), $"spec.nodeName={nodeName}");
        informer.OnChange((old, now) => queue.Add(now ?? old!));
        var watching = informer.RunAsync(cancellationToken);
        var relisting = RelistAsync(queue, cancellationToken);
        await queue.RunAsync(Workers, SyncAsync, _logger, cancellationToken);
        await watching;
        await relisting;
    }

    /// <summary>
    /// Looks at the runtime's containers every second, as upstream's PLEG does, and queues each pod one of whose
    /// containers changed state (exited, say), since a runtime does not tell.
    /// </summary>
    private async Task RelistAsync(WorkQueue<string> queue, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, ContainerState>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(RelistPeriod, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var pods = (await runtime.ListPodSandboxesAsync(cancellationToken)).ToDictionary(s => s.Id, s => $"{s.Pod.Namespace}/{s.Pod.Name}");
                var now = new Dictionary<string, ContainerState>(StringComparer.Ordinal);
                foreach (var container in await runtime.ListContainersAsync(null, cancellationToken))
                {
                    now[container.Id] = container.State;
                    if ((!seen.TryGetValue(container.Id, out var before) || before != container.State) && pods.TryGetValue(container.SandboxId, out var key))
                        queue.Add(key);
                }
                seen = now;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = (key[..key.IndexOf('/', StringComparison.Ordinal)], key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        var path = Pods.ObjectPath(ns, name);
        var found = await client.GetAsync(path, cancellationToken);
        var sandboxes = (await runtime.ListPodSandboxesAsync(cancellationToken)).Where(s => s.Pod.Namespace == ns && s.Pod.Name == name).ToList();
        if (found.IsNotFound || found.Body?["spec"]?["nodeName"]?.GetValue<string>() != nodeName)
        {
            foreach (var sandbox in sandboxes)
                await RemoveAsync(sandbox, TimeSpan.Zero, cancellationToken);
            return ReconcileResult.Done;
        }
        found.ThrowIfFailed($"reading pod {key}");
        var pod = found.Body!.AsObject();
        var uid = pod["metadata"]!["uid"]!.GetValue<string>();
        // A sandbox of an earlier pod with this name goes first.
        foreach (var stale in sandboxes.Where(s => s.Pod.Uid != uid))
            await RemoveAsync(stale, TimeSpan.Zero, cancellationToken);

        if (pod["metadata"]!["deletionTimestamp"] is not null)
        {
            var grace = TimeSpan.FromSeconds(pod["metadata"]!["deletionGracePeriodSeconds"]?.GetValue<long>() ?? 0);
            foreach (var sandbox in sandboxes.Where(s => s.Pod.Uid == uid))
                await RemoveAsync(sandbox, grace, cancellationToken);
            var options = new JsonObject
            {
                ["kind"] = "DeleteOptions",
                ["apiVersion"] = "v1",
                ["gracePeriodSeconds"] = 0,
                ["preconditions"] = new JsonObject { ["uid"] = uid },
            };
            (await client.DeleteAsync(path, options, cancellationToken)).ThrowIfFailed($"deleting pod {key}", goneIsFine: true);
            return ReconcileResult.Done;
        }
        if (pod["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
            return ReconcileResult.Done;

        var running = sandboxes.FirstOrDefault(s => s.Pod.Uid == uid)
            ?? await StartSandboxAsync(pod, uid, cancellationToken);
        var containers = await runtime.ListContainersAsync(running.Id, cancellationToken);
        foreach (var spec in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var containerName = spec["name"]!.GetValue<string>();
            if (containers.Any(c => c.Name == containerName))
                continue;
            var id = await runtime.CreateContainerAsync(running.Id,
                new ContainerConfig(containerName, 0, spec["image"]?.GetValue<string>() ?? "", Annotations(pod)), cancellationToken);
            await runtime.StartContainerAsync(id, cancellationToken);
        }
        containers = await runtime.ListContainersAsync(running.Id, cancellationToken);

        var status = PodStatusReport.For(pod, running, containers, hostIp, WireTime.Time(time.GetUtcNow()));
        if (JsonNode.DeepEquals(status, pod["status"]))
            return ReconcileResult.Done;
        pod["status"] = status;
        var written = await client.PutAsync(path + "/status", pod, cancellationToken);
        if (written.IsConflict)
            throw new InvalidOperationException($"pod {key} changed while its status was written; trying again");
        written.ThrowIfFailed($"reporting the status of pod {key}", goneIsFine: true);
        return ReconcileResult.Done;
    }

    private async Task<PodSandbox> StartSandboxAsync(JsonObject pod, string uid, CancellationToken cancellationToken)
    {
        var metadata = pod["metadata"]!;
        var config = new PodSandboxConfig(metadata["name"]!.GetValue<string>(), metadata["namespace"]!.GetValue<string>(), uid, 0);
        var id = await runtime.RunPodSandboxAsync(config, cancellationToken);
        return (await runtime.ListPodSandboxesAsync(cancellationToken)).Single(s => s.Id == id);
    }

    /// <summary>Stops a sandbox's containers (each given <paramref name="grace"/>), then the sandbox, and removes it.</summary>
    private async Task RemoveAsync(PodSandbox sandbox, TimeSpan grace, CancellationToken cancellationToken)
    {
        foreach (var container in await runtime.ListContainersAsync(sandbox.Id, cancellationToken))
        {
            if (container.State == ContainerState.Running)
                await runtime.StopContainerAsync(container.Id, grace, cancellationToken);
        }
        await runtime.StopPodSandboxAsync(sandbox.Id, cancellationToken);
        await runtime.RemovePodSandboxAsync(sandbox.Id, cancellationToken);
    }

    private static Dictionary<string, string> Annotations(JsonObject pod) =>
        (pod["metadata"]?["annotations"] as JsonObject ?? []).ToDictionary(a => a.Key, a => a.Value?.ToString() ?? "", StringComparer.Ordinal);

    private static string Key(JsonElement pod)
    {
        var metadata = pod.GetProperty("metadata");
        return $"{metadata.GetProperty("namespace").GetString()}/{metadata.GetProperty("name").GetString()}";
    }
}
