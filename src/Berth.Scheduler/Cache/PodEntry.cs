using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Cache;

/// <summary>
/// What the scheduler keeps of each pod: where it is bound (if anywhere), what other pods' placement needs to know of
/// it (<see cref="PodInfo"/> without the spec), and the whole pod only while it waits to be scheduled, as its JSON
/// text: a parsed tree is several times bigger, and thousands of pods may wait at once. A waiting pod also keeps a
/// hash of its spec, so that a status change is told from a spec change without parsing either.
/// </summary>
internal sealed record PodEntry(string Key, string NodeName, string SchedulerName, bool Finished, byte[]? PendingJson, byte[]? SpecHash, PodInfo Info)
{
    public string Uid => Info.Uid;

    /// <summary>A pod to place: no node yet, not finished, not being deleted.</summary>
    public bool WaitsForNode => PendingJson is not null && !Finished && !Info.Terminating;

    /// <summary>The waiting pod, parsed afresh for the cycle that places it.</summary>
    public JsonObject Pending() => JsonNode.Parse(PendingJson!)!.AsObject();

    /// <summary>
    /// The parts of a pod that <see cref="PodInfo"/> reads of a pod without its spec: each change of every pod passes
    /// through here, and the rest (most volumes, tolerations, container statuses, managed fields) is most of a pod.
    /// </summary>
    private static readonly (string Part, string[] Fields)[] InfoParts =
    [
        ("metadata", ["namespace", "name", "uid", "labels", "creationTimestamp", "deletionTimestamp"]),
        ("spec", ["nodeName", "schedulerName", "containers", "initContainers", "overhead", "schedulingGates", "priority", "preemptionPolicy", "affinity"]),
        ("status", ["phase", "nominatedNodeName", "startTime"]),
    ];

    public static PodEntry Read(JsonElement element)
    {
        var json = JsonMarshal.GetRawUtf8Value(element);
        var pod = new JsonObject();
        foreach (var (part, fields) in InfoParts)
        {
            if (!element.TryGetProperty(part, out var source) || source.ValueKind != JsonValueKind.Object)
                continue;
            var kept = new JsonObject();
            foreach (var field in fields)
            {
                if (source.TryGetProperty(field, out var value))
                    kept[field] = JsonNode.Parse(JsonMarshal.GetRawUtf8Value(value));
            }
            pod[part] = kept;
        }
        // Of the volumes only those the volume plugins weigh: every pod has its service account token's.
        if (pod["spec"] is JsonObject keptSpec && element.GetProperty("spec").TryGetProperty("volumes", out var volumes) && volumes.ValueKind == JsonValueKind.Array)
        {
            var weighed = new JsonArray();
            foreach (var volume in volumes.EnumerateArray())
            {
                if (PodVolumes.Weighs(volume))
                    weighed.Add(JsonNode.Parse(JsonMarshal.GetRawUtf8Value(volume)));
            }
            if (weighed.Count > 0)
                keptSpec["volumes"] = weighed;
        }
        var metadata = pod["metadata"] ?? new JsonObject();
        var spec = pod["spec"] as JsonObject ?? [];
        var nodeName = spec["nodeName"]?.ToString() ?? "";
        var waiting = nodeName.Length == 0;
        return new PodEntry(
            $"{metadata["namespace"]}/{metadata["name"]}",
            nodeName,
            spec["schedulerName"]?.ToString() ?? "default-scheduler",
            pod["status"]?["phase"]?.ToString() is "Succeeded" or "Failed",
            waiting ? json.ToArray() : null,
            waiting && element.TryGetProperty("spec", out var specElement) ? SHA256.HashData(JsonMarshal.GetRawUtf8Value(specElement)) : null,
            new PodInfo(pod, keepSpec: false));
    }
}
