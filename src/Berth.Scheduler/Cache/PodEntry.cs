using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Scheduler.Cache;

/// <summary>
/// What the scheduler keeps of each pod: where it is bound (if anywhere) and what it claims there, and the whole pod
/// only while it waits to be scheduled.
/// </summary>
internal sealed record PodEntry(string Key, string Uid, string NodeName, string SchedulerName, bool Active, JsonObject? Pending,
    IReadOnlyDictionary<string, decimal> Requests, IReadOnlyList<HostPort> Ports)
{
    public static PodEntry Read(JsonElement element)
    {
        var pod = JsonNode.Parse(element.GetRawText())!.AsObject();
        var metadata = pod["metadata"]!;
        var spec = pod["spec"] as JsonObject ?? [];
        var nodeName = spec["nodeName"]?.ToString() ?? "";
        var phase = pod["status"]?["phase"]?.ToString();
        var active = phase is not ("Succeeded" or "Failed") && metadata["deletionTimestamp"] is null;
        return new PodEntry(
            $"{metadata["namespace"]}/{metadata["name"]}",
            metadata["uid"]?.ToString() ?? "",
            nodeName,
            spec["schedulerName"]?.ToString() ?? "default-scheduler",
            active,
            nodeName.Length == 0 ? pod : null,
            PodRequests.Of(spec),
            [.. HostPort.Of(spec)]);
    }
}
