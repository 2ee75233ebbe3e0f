using System.Globalization;
using System.Text.Json;
using Berth.Core.Serialization;

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

    /// <summary>Read from the watched pod's JSON as it is: a parsed tree of the whole pod (managedFields and all) per change was a good part of the controller manager's garbage.</summary>
    public static ReplicaPod Read(JsonElement pod)
    {
        var metadata = JsonFields.Object(pod, "metadata");
        var status = JsonFields.Object(pod, "status");
        var controller = JsonFields.Objects(metadata, "ownerReferences").FirstOrDefault(o => JsonFields.Bool(o, "controller") == true);
        var ready = JsonFields.Objects(status, "conditions").FirstOrDefault(c => JsonFields.String(c, "type") == "Ready" && JsonFields.String(c, "status") == "True");
        var restarts = JsonFields.Objects(status, "containerStatuses").Select(c => JsonFields.Int(c, "restartCount") ?? 0).DefaultIfEmpty(0).Max();
        return new ReplicaPod(
            JsonFields.String(metadata, "namespace") ?? "",
            JsonFields.String(metadata, "name") ?? "",
            JsonFields.String(metadata, "uid") ?? "",
            JsonFields.StringMap(metadata, "labels"),
            JsonFields.String(controller, "kind"),
            JsonFields.String(controller, "name"),
            JsonFields.String(controller, "uid"),
            JsonFields.Has(metadata, "deletionTimestamp"),
            JsonFields.String(status, "phase") ?? "Pending",
            JsonFields.String(JsonFields.Object(pod, "spec"), "nodeName") ?? "",
            ready.ValueKind == JsonValueKind.Undefined ? null : Time(JsonFields.String(ready, "lastTransitionTime")) ?? DateTimeOffset.MinValue,
            restarts,
            Time(JsonFields.String(metadata, "creationTimestamp")) ?? DateTimeOffset.MinValue,
            // Not an int32, or absent: cost 0, as upstream (the API server refuses others on create and update).
            int.TryParse(JsonFields.String(JsonFields.Object(metadata, "annotations"), DeletionCostAnnotation), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cost) ? cost : 0);
    }

    private static DateTimeOffset? Time(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
}
