using System.Text.Json;
using Berth.Core.Pods;

namespace Berth.Controllers.TaintEviction;

/// <summary>What the taint eviction controller keeps of a pod: where it runs and what NoExecute taints it tolerates.</summary>
internal sealed record EvictionPod(string Namespace, string Name, string Uid, string NodeName, bool Deleting, IReadOnlyList<Toleration> Tolerations)
{
    public string Key => $"{Namespace}/{Name}";

    public static EvictionPod Read(JsonElement pod)
    {
        var metadata = pod.GetProperty("metadata");
        var spec = pod.TryGetProperty("spec", out var s) ? s : default;
        var tolerations = spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("tolerations", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(Toleration.Read).Where(x => x.Effect is "" or "NoExecute").ToList()
            : [];
        return new EvictionPod(
            metadata.GetProperty("namespace").GetString()!,
            metadata.GetProperty("name").GetString()!,
            metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
            spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("nodeName", out var node) ? node.GetString() ?? "" : "",
            metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind == JsonValueKind.String,
            tolerations);
    }
}
