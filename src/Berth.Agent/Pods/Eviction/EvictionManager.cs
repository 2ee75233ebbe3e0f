using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Stats;
using Berth.Client;
using Berth.Client.Events;
using Berth.Core.Pods;
using Berth.Core.Serialization;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Pods.Eviction;

/// <summary>
/// Upstream's eviction manager, for hard thresholds: every 10 seconds the node's memory and disk are read; when one
/// is under its threshold the node reclaims what it can by itself (unused images, for the disk) and, if that was not
/// enough, evicts one pod: it fails with reason <c>Evicted</c> and upstream's message, and its containers are
/// stopped. For memory, pods using more than they request go first, then lower priorities, then the largest excess;
/// for the disk and process IDs, lower priorities first, then the newest. System-critical pods are never evicted.
/// </summary>
public sealed partial class EvictionManager(ApiClient client, string nodeName, string dataDir, EvictionThresholds thresholds, NodeStats stats,
    Func<CancellationToken, Task>? reclaimDisk, TimeProvider time, ILoggerFactory loggers)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger = loggers.CreateLogger<EvictionManager>();
    private readonly EventRecorder _events = new(client, "kubelet", time, loggers.CreateLogger<EventRecorder>(), nodeName);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var recording = _events.RunAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SynchronizeAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
            {
                Log.Failed(_logger, e.Message);
            }
            await Task.Delay(Period, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        await recording.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SynchronizeAsync(CancellationToken cancellationToken)
    {
        var reading = LocalMachine.Observe(dataDir);
        if (thresholds.NodeFs is { } nodeFs && nodeFs.IsMet(reading.DiskAvailable, reading.DiskCapacity) && reclaimDisk is not null)
        {
            await reclaimDisk(cancellationToken);
            reading = LocalMachine.Observe(dataDir);
        }
        var (resource, threshold, available, capacity) =
            thresholds.Memory is { } memory && memory.IsMet(reading.MemoryAvailable, reading.MemoryCapacity) ? ("memory", memory, reading.MemoryAvailable, reading.MemoryCapacity)
            : thresholds.NodeFs is { } disk && reading.DiskCapacity > 0 && disk.IsMet(reading.DiskAvailable, reading.DiskCapacity) ? ("ephemeral-storage", disk, reading.DiskAvailable, reading.DiskCapacity)
            : thresholds.Pids is { } pids && reading.PidCapacity > 0 && pids.IsMet(reading.PidsAvailable, reading.PidCapacity) ? ("pids", pids, reading.PidsAvailable, reading.PidCapacity)
            : default;
        if (resource is null)
            return;
        _events.Record("v1", "Node", new JsonObject { ["name"] = nodeName }, "Warning", "EvictionThresholdMet", $"Attempting to reclaim {resource}");

        var listed = await client.GetAsync($"/api/v1/pods?fieldSelector=spec.nodeName%3D{Uri.EscapeDataString(nodeName)}", cancellationToken);
        listed.ThrowIfFailed($"listing the pods of node {nodeName}");
        var pods = (listed.Body?["items"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(p => p["metadata"]?["deletionTimestamp"] is null && p["status"]?["phase"]?.ToString() is not ("Succeeded" or "Failed") && PodAdmission.Priority(p) < PodAdmission.SystemCriticalPriority)
            .ToList();
        var usage = stats.ContainersByPod();
        var victim = resource == "memory" ? RankedForMemory(pods, usage).FirstOrDefault() : RankedByPriorityThenNewest(pods).FirstOrDefault();
        if (victim is null)
        {
            Log.NothingToEvict(_logger, resource);
            return;
        }
        var message = resource == "pids"
            ? $"The node was low on resource: pids. Threshold quantity: {threshold.AmountOf(capacity)}, available: {available}. "
            : Message(victim, resource, threshold.AmountOf(capacity), available, usage);
        await EvictAsync(victim, message, cancellationToken);
    }

    /// <summary>
    /// Pods over their memory requests first, then lower priorities, then the largest excess over the requests; a pod
    /// whose containers have not been measured yet cannot be ranked and waits for the next round.
    /// </summary>
    private static IEnumerable<JsonObject> RankedForMemory(List<JsonObject> pods, ILookup<string, ContainerUsage> usage) =>
        pods.Where(p => usage.Contains(p["metadata"]?["uid"]?.ToString() ?? ""))
            .Select(p => (Pod: p, Excess: MemoryUsed(p, usage) - MemoryRequested(p)))
            .OrderBy(p => p.Excess > 0 ? 0 : 1)
            .ThenBy(p => PodAdmission.Priority(p.Pod))
            .ThenByDescending(p => p.Excess)
            .Select(p => p.Pod);

    /// <summary>For the disk and process IDs, which Berth does not count per pod: lower priorities first, then the newest.</summary>
    private static IEnumerable<JsonObject> RankedByPriorityThenNewest(List<JsonObject> pods) =>
        pods.OrderBy(PodAdmission.Priority).ThenByDescending(p => p["metadata"]?["creationTimestamp"]?.ToString(), StringComparer.Ordinal);

    private async Task EvictAsync(JsonObject pod, string message, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/namespaces/{pod["metadata"]!["namespace"]}/pods/{pod["metadata"]!["name"]}";
        var status = pod["status"] as JsonObject ?? [];
        status["phase"] = "Failed";
        status["reason"] = "Evicted";
        status["message"] = message;
        var conditions = status["conditions"] as JsonArray ?? [];
        foreach (var old in conditions.OfType<JsonObject>().Where(c => c["type"]?.ToString() == "DisruptionTarget").ToList())
            conditions.Remove(old);
        conditions.Add((JsonNode)new JsonObject
        {
            ["type"] = "DisruptionTarget",
            ["status"] = "True",
            ["lastTransitionTime"] = WireTime.Time(time.GetUtcNow()),
            ["reason"] = "TerminationByKubelet",
            ["message"] = message,
        });
        status["conditions"] = conditions;
        pod["status"] = status;
        var written = await client.PutAsync(path + "/status", pod, cancellationToken);
        if (written.IsConflict)
            return; // Changed meanwhile: the next round looks again.
        written.ThrowIfFailed($"evicting pod {path}", goneIsFine: true);
        Log.Evicted(_logger, path, message);
        _events.Record("v1", "Pod", pod["metadata"], "Warning", "Evicted", message);
    }

    /// <summary>Upstream's message: the resource, its threshold and what was left, then each container using more than it requested.</summary>
    private static string Message(JsonObject pod, string resource, decimal threshold, decimal available, ILookup<string, ContainerUsage> usage)
    {
        var message = $"The node was low on resource: {resource}. Threshold quantity: {Binary(threshold)}, available: {Binary(available)}. ";
        if (resource != "memory")
            return message;
        var uid = pod["metadata"]?["uid"]?.ToString() ?? "";
        foreach (var container in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = container["name"]?.ToString() ?? "";
            var used = usage[uid].Where(c => c.Container == name).Select(c => (decimal)c.Usage.WorkingSetBytes).DefaultIfEmpty(0).Max();
            var requested = Berth.Core.Quantities.Quantity.TryParse(container["resources"]?["requests"]?["memory"]?.ToString(), out var q) ? q.Value : 0;
            if (used > requested)
                message += $"Container {name} was using {Binary(used)}, request is {Binary(requested)}, has larger consumption of {resource}. ";
        }
        return message;
    }

    private static decimal MemoryUsed(JsonObject pod, ILookup<string, ContainerUsage> usage) =>
        usage[pod["metadata"]?["uid"]?.ToString() ?? ""].Sum(c => (decimal)c.Usage.WorkingSetBytes);

    private static decimal MemoryRequested(JsonObject pod) => PodRequests.Of(pod["spec"] as JsonObject ?? []).GetValueOrDefault("memory");

    /// <summary>Bytes as a binary quantity, in the largest unit that divides them (<c>100Mi</c>, <c>5132Ki</c>, <c>0</c>).</summary>
    internal static string Binary(decimal bytes)
    {
        var amount = decimal.Ceiling(bytes);
        foreach (var (unit, size) in new[] { ("Ti", 1024m * 1024 * 1024 * 1024), ("Gi", 1024m * 1024 * 1024), ("Mi", 1024m * 1024), ("Ki", 1024m) })
        {
            if (amount != 0 && amount % size == 0)
                return (amount / size).ToString(CultureInfo.InvariantCulture) + unit;
        }
        return amount.ToString(CultureInfo.InvariantCulture);
    }

    private static partial class Log
    {
        [LoggerMessage(4360, LogLevel.Warning, "Evicted pod {Pod}: {Message}")]
        public static partial void Evicted(ILogger logger, string pod, string message);

        [LoggerMessage(4361, LogLevel.Warning, "The node is low on {Resource} and has no pod it may evict")]
        public static partial void NothingToEvict(ILogger logger, string resource);

        [LoggerMessage(4362, LogLevel.Warning, "Eviction check failed: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
