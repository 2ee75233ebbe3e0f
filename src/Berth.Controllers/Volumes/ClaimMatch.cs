using System.Text.Json.Nodes;
using Berth.Core.Quantities;
using Berth.Core.Selectors;

namespace Berth.Controllers.Volumes;

/// <summary>
/// Which PersistentVolume suits a claim, as upstream's binder decides: same StorageClass (none with none), same
/// volume mode, every access mode the claim asks for, at least the storage it requests, labels its selector matches,
/// and free or pre-bound to this claim. Of several, a volume pre-bound to it wins, then the smallest.
/// </summary>
public static class ClaimMatch
{
    public static JsonObject? Best(JsonObject claim, IEnumerable<JsonObject> volumes)
    {
        var candidates = volumes.Where(v => v["metadata"]?["deletionTimestamp"] is null && IsFreeFor(v, claim) && Satisfies(v, claim)).ToList();
        return candidates.FirstOrDefault(v => PersistentVolumeBinder.ClaimRef(v) is not null)
            ?? candidates.MinBy(v => Storage(v["spec"]?["capacity"]));
    }

    /// <summary>Whether the volume gives what the claim asks (whoever it is bound to).</summary>
    public static bool Satisfies(JsonObject volume, JsonObject claim)
    {
        var wanted = claim["spec"] as JsonObject ?? [];
        var offered = volume["spec"] as JsonObject ?? [];
        if ((wanted["storageClassName"]?.ToString() ?? "") != (offered["storageClassName"]?.ToString() ?? ""))
            return false;
        if ((wanted["volumeMode"]?.ToString() ?? "Filesystem") != (offered["volumeMode"]?.ToString() ?? "Filesystem"))
            return false;
        var modes = (offered["accessModes"] as JsonArray ?? []).Select(m => m?.ToString()).ToHashSet(StringComparer.Ordinal);
        if ((wanted["accessModes"] as JsonArray ?? []).Any(m => !modes.Contains(m?.ToString())))
            return false;
        if (Storage(offered["capacity"]) < Storage(wanted["resources"]?["requests"]))
            return false;
        if (wanted["selector"] is JsonObject selector)
        {
            var labels = (volume["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
            if (LabelSelector.FromJson(selector) is not { } parsed || !parsed.Matches(labels))
                return false;
        }
        return true;
    }

    /// <summary>Free, or pre-bound to this claim by name (and uid, if it names one).</summary>
    private static bool IsFreeFor(JsonObject volume, JsonObject claim)
    {
        if (PersistentVolumeBinder.ClaimRef(volume) is not { } claimRef)
            return volume["status"]?["phase"]?.ToString() is null or "Pending" or "Available";
        return claimRef.Namespace == claim["metadata"]?["namespace"]?.ToString() && claimRef.Name == claim["metadata"]?["name"]?.ToString()
            && (claimRef.Uid is null || claimRef.Uid == PersistentVolumeBinder.Uid(claim));
    }

    private static decimal Storage(JsonNode? resources) =>
        Quantity.TryParse(resources?["storage"]?.ToString(), out var quantity) ? quantity.Value : 0;
}
