using System.Text.Json;
using Berth.Core.Pods;

namespace Berth.Controllers.TaintEviction;

/// <summary>What the taint eviction controller keeps of a pod: where it runs and what NoExecute taints it tolerates.</summary>
internal sealed record EvictionPod(string Namespace, string Name, string Uid, string NodeName, bool Deleting, IReadOnlyList<Toleration> Tolerations)
{
    public string Key => $"{Namespace}/{Name}";

    /// <summary>The pod as kept, or null for one bound to no node, which no taint can evict.</summary>
    public static EvictionPod? Read(JsonElement pod)
    {
        var metadata = pod.GetProperty("metadata");
        var spec = pod.TryGetProperty("spec", out var s) ? s : default;
        var nodeName = spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("nodeName", out var node) ? node.GetString() ?? "" : "";
        if (nodeName.Length == 0)
            return null;
        var tolerations = spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("tolerations", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(Toleration.Read).Where(x => x.Effect is "" or "NoExecute").ToList()
            : [];
        return new EvictionPod(
            metadata.GetProperty("namespace").GetString()!,
            metadata.GetProperty("name").GetString()!,
            metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
            nodeName,
            metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind == JsonValueKind.String,
            tolerations);
    }
}
