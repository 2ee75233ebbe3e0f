using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Events;
using Berth.Client.Queues;
using Berth.Core.Serialization;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// What the scheduler tells about a pod, as upstream's default-scheduler does: a <c>Scheduled</c> event, or a
/// <c>FailedScheduling</c> warning (repeats of the same message counted on one event, by the recorder) with the pod's
/// PodScheduled condition False and reason Unschedulable, so <c>kubectl describe pod</c> explains every pending pod.
/// </summary>
internal sealed class SchedulingEvents(ApiClient client, EventRecorder recorder, TimeProvider time)
{
    private const string Component = "default-scheduler";

    /// <summary>The status writes on their way to each pending pod, by uid.</summary>
    private readonly KeyedSequence _statusWrites = new();

    public void Scheduled(JsonObject pod, string nodeName)
    {
        var metadata = pod["metadata"]!;
        recorder.Record("v1", "Pod", metadata, "Normal", "Scheduled", $"Successfully assigned {metadata["namespace"]}/{metadata["name"]} to {nodeName}");
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
        await PatchStatusInOrderAsync(metadata["uid"]?.ToString() ?? path, path, condition, cancellationToken);

        recorder.Record("v1", "Pod", metadata, "Warning", "FailedScheduling", message);
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
            var involved = new JsonObject { ["namespace"] = victim.Namespace, ["name"] = victim.Name, ["uid"] = victim.Uid };
            recorder.Record("v1", "Pod", involved, "Normal", "Preempted", $"Preempted by pod {preemptor.Uid} on node {nodeName}");
            await client.SendAsync(HttpMethod.Delete, path, null, cancellationToken);
        }
    }

    /// <summary>Clears the <c>status.nominatedNodeName</c> of pods whose nomination preemption took back.</summary>
    public async Task ClearNominationsAsync(IReadOnlyList<PodInfo> pods, CancellationToken cancellationToken)
    {
        foreach (var pod in pods)
        {
            var cleared = new JsonObject { ["status"] = new JsonObject { ["nominatedNodeName"] = null } };
            await PatchStatusInOrderAsync(pod.Uid, $"/api/v1/namespaces/{pod.Namespace}/pods/{pod.Name}/status", cleared, cancellationToken);
        }
    }

    /// <summary>
    /// Patches a pending pod's status after the writes to it already on their way, as upstream's API dispatcher orders
    /// them: a nomination taken back must not be overtaken by the write that made it.
    /// </summary>
    private Task PatchStatusInOrderAsync(string uid, string path, JsonObject patch, CancellationToken cancellationToken) =>
        _statusWrites.Run(uid, () => client.SendAsync(HttpMethod.Patch, path, patch, cancellationToken, "application/strategic-merge-patch+json"));

    private static JsonObject? Existing(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == "PodScheduled");

    private string Now() => WireTime.Time(time.GetUtcNow());
}
