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

    public static PodEntry Read(JsonElement element)
    {
        var json = JsonMarshal.GetRawUtf8Value(element);
        var pod = JsonNode.Parse(json)!.AsObject();
        var metadata = pod["metadata"]!;
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
