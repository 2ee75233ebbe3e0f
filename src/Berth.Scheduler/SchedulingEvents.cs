using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Core.Serialization;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// What the scheduler tells about a pod, as upstream's default-scheduler does: a <c>Scheduled</c> event, or a
/// <c>FailedScheduling</c> warning (repeats of the same message counted on one event) with the pod's PodScheduled
/// condition False and reason Unschedulable, so <c>kubectl describe pod</c> explains every pending pod.
/// </summary>
internal sealed class SchedulingEvents(ApiClient client, TimeProvider time)
{
    private const string Component = "default-scheduler";

    /// <summary>The last FailedScheduling event per pod uid: its name and message, to count repeats on it.</summary>
    private readonly ConcurrentDictionary<string, (string Name, string Message)> _failures = new(StringComparer.Ordinal);

    public async Task ScheduledAsync(JsonObject pod, string nodeName, CancellationToken cancellationToken)
    {
        _failures.TryRemove(Uid(pod), out _);
        var metadata = pod["metadata"]!;
        await CreateAsync(pod, "Normal", "Scheduled", $"Successfully assigned {metadata["namespace"]}/{metadata["name"]} to {nodeName}", cancellationToken);
    }

    /// <summary>The pod waits: its PodScheduled condition (and the node preemption nominated for it), and a FailedScheduling event.</summary>
    public async Task UnschedulableAsync(JsonObject pod, string message, string? nominatedNode, CancellationToken cancellationToken)
    {
        var metadata = pod["metadata"]!;
        var path = $"/api/v1/namespaces/{metadata["namespace"]}/pods/{metadata["name"]}/status";
        var before = Existing(pod);
        var condition = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "PodScheduled",
                    ["status"] = "False",
                    ["reason"] = "Unschedulable",
                    ["message"] = message,
                    ["lastProbeTime"] = null,
                    ["lastTransitionTime"] = before?["status"]?.ToString() == "False" ? before["lastTransitionTime"]?.DeepClone() : Now(),
                }),
            },
        };
        if (nominatedNode is not null)
            condition["status"]!["nominatedNodeName"] = nominatedNode;
        await client.SendAsync(HttpMethod.Patch, path, condition, cancellationToken, "application/strategic-merge-patch+json");

        if (_failures.TryGetValue(Uid(pod), out var last) && last.Message == message && await CountAgainAsync(pod, last.Name, cancellationToken))
            return;
        _failures[Uid(pod)] = (await CreateAsync(pod, "Warning", "FailedScheduling", message, cancellationToken), message);
    }

    /// <summary>
    /// Makes room for a preemptor: each victim gets the DisruptionTarget condition and a Preempted event, then is
    /// deleted gracefully (its termination grace period is honoured).
    /// </summary>
    public async Task PreemptAsync(PodInfo preemptor, string nodeName, IReadOnlyList<PodInfo> victims, CancellationToken cancellationToken)
    {
        foreach (var victim in victims)
        {
            var path = $"/api/v1/namespaces/{victim.Namespace}/pods/{victim.Name}";
            var target = new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "DisruptionTarget",
                        ["status"] = "True",
                        ["reason"] = "PreemptionByScheduler",
                        ["message"] = $"{Component}: preempting to accommodate a higher priority pod",
                        ["lastTransitionTime"] = Now(),
                    }),
                },
            };
            await client.SendAsync(HttpMethod.Patch, path + "/status", target, cancellationToken, "application/strategic-merge-patch+json");
            var involved = new JsonObject
            {
                ["metadata"] = new JsonObject { ["namespace"] = victim.Namespace, ["name"] = victim.Name, ["uid"] = victim.Uid },
            };
            await CreateAsync(involved, "Normal", "Preempted", $"Preempted by pod {preemptor.Uid} on node {nodeName}", cancellationToken);
            await client.SendAsync(HttpMethod.Delete, path, null, cancellationToken);
        }
    }

    /// <summary>Counts one more occurrence on an existing event; false if it is gone.</summary>
    private async Task<bool> CountAgainAsync(JsonObject pod, string name, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/namespaces/{pod["metadata"]!["namespace"]}/events/{name}";
        var found = await client.GetAsync(path, cancellationToken);
        if (!found.Succeeded)
            return false;
        var existing = found.Body!.AsObject();
        existing["count"] = (existing["count"]?.GetValue<int>() ?? 1) + 1;
        existing["lastTimestamp"] = Now();
        return (await client.PutAsync(path, existing, cancellationToken)).Succeeded;
    }

    private async Task<string> CreateAsync(JsonObject pod, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var metadata = pod["metadata"]!;
        var now = time.GetUtcNow();
        var name = string.Create(CultureInfo.InvariantCulture, $"{metadata["name"]}.{now.ToUnixTimeMilliseconds() * 1_000_000:x}");
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = metadata["namespace"]?.DeepClone() },
            ["involvedObject"] = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["namespace"] = metadata["namespace"]?.DeepClone(),
                ["name"] = metadata["name"]?.DeepClone(),
                ["uid"] = metadata["uid"]?.DeepClone(),
                ["resourceVersion"] = metadata["resourceVersion"]?.DeepClone(),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["type"] = type,
            ["source"] = new JsonObject { ["component"] = Component },
            ["reportingComponent"] = Component,
            ["reportingInstance"] = Component,
            ["firstTimestamp"] = WireTime.Time(now),
            ["lastTimestamp"] = WireTime.Time(now),
            ["count"] = 1,
        };
        await client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{metadata["namespace"]}/events", ev, cancellationToken);
        return name;
    }

    private static JsonObject? Existing(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == "PodScheduled");

    private static string Uid(JsonObject pod) => pod["metadata"]?["uid"]?.ToString() ?? "";

    private string Now() => WireTime.Time(time.GetUtcNow());
}
