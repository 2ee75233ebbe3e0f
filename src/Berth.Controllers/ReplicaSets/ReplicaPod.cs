using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Controllers.ReplicaSets;

/// <summary>
/// A pod as the ReplicaSet controller keeps it: who controls it, whether it counts (active, ready, available), and
/// what ranks it for deletion.
/// </summary>
internal sealed record ReplicaPod(
    string Namespace,
    string Name,
    string Uid,
    IReadOnlyDictionary<string, string> Labels,
    string? ControllerKind,
    string? ControllerName,
    string? ControllerUid,
    bool Deleting,
    string Phase,
    string NodeName,
    DateTimeOffset? ReadySince,
    int Restarts,
    DateTimeOffset Created,
    int DeletionCost = 0)
{
    /// <summary>The annotation that tells a ReplicaSet which of its pods to delete first: lower costs go first.</summary>
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    public string Key => $"{Namespace}/{Name}";

    /// <summary>Counted as a replica: not finished and not being deleted (upstream's active pods).</summary>
    public bool Active => Phase is not ("Succeeded" or "Failed") && !Deleting;

    public bool Ready => ReadySince is not null;

    /// <summary>Ready for at least <paramref name="minReady"/> at <paramref name="now"/>.</summary>
    public bool AvailableAt(DateTimeOffset now, TimeSpan minReady) => ReadySince is { } since && (minReady <= TimeSpan.Zero || since + minReady <= now);

    public static ReplicaPod Read(JsonElement element)
    {
        var pod = JsonNode.Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))!.AsObject();
        var metadata = pod["metadata"] as JsonObject ?? [];
        var controller = (metadata["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(o => o["controller"] is JsonValue c && c.TryGetValue<bool>(out var isController) && isController);
        var ready = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(c => c["type"]?.ToString() == "Ready" && c["status"]?.ToString() == "True");
        var restarts = (pod["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => c["restartCount"] is JsonValue r && r.TryGetValue<int>(out var count) ? count : 0)
            .DefaultIfEmpty(0).Max();
        return new ReplicaPod(
            metadata["namespace"]?.ToString() ?? "",
            metadata["name"]?.ToString() ?? "",
            metadata["uid"]?.ToString() ?? "",
            (metadata["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal),
            controller?["kind"]?.ToString(),
            controller?["name"]?.ToString(),
            controller?["uid"]?.ToString(),
            metadata["deletionTimestamp"] is not null,
            pod["status"]?["phase"]?.ToString() ?? "Pending",
            pod["spec"]?["nodeName"]?.ToString() ?? "",
            ready is null ? null : Time(ready["lastTransitionTime"]) ?? DateTimeOffset.MinValue,
            restarts,
            Time(metadata["creationTimestamp"]) ?? DateTimeOffset.MinValue,
            // Not an int32, or absent: cost 0, as upstream (the API server refuses others on create and update).
            int.TryParse(metadata["annotations"]?[DeletionCostAnnotation]?.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cost) ? cost : 0);
    }

    private static DateTimeOffset? Time(JsonNode? value) =>
        DateTimeOffset.TryParse(value?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
}
