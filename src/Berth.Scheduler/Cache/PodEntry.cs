using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Cache;

/// <summary>
/// What the scheduler keeps of each pod: where it is bound (if anywhere), what other pods' placement needs to know of
/// it (<see cref="PodInfo"/> without the spec), and the whole pod only while it waits to be scheduled.
/// </summary>
internal sealed record PodEntry(string Key, string NodeName, string SchedulerName, bool Finished, JsonObject? Pending, PodInfo Info)
{
    public string Uid => Info.Uid;

    /// <summary>A pod to place: no node yet, not finished, not being deleted.</summary>
    public bool WaitsForNode => Pending is not null && !Finished && !Info.Terminating;

    public static PodEntry Read(JsonElement element)
    {
        var pod = JsonNode.Parse(element.GetRawText())!.AsObject();
        var metadata = pod["metadata"]!;
        var spec = pod["spec"] as JsonObject ?? [];
        var nodeName = spec["nodeName"]?.ToString() ?? "";
        return new PodEntry(
            $"{metadata["namespace"]}/{metadata["name"]}",
            nodeName,
            spec["schedulerName"]?.ToString() ?? "default-scheduler",
            pod["status"]?["phase"]?.ToString() is "Succeeded" or "Failed",
            nodeName.Length == 0 ? pod : null,
            new PodInfo(pod, keepSpec: false));
    }
}
