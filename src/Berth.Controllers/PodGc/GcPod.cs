using System.Text.Json;

namespace Berth.Controllers.PodGc;

/// <summary>What the pod garbage collector keeps of a pod: where it is bound, whether it finished or is being deleted, and its age.</summary>
internal sealed record GcPod(string Namespace, string Name, string Uid, string NodeName, bool Finished, bool Deleting, string Created)
{
    public static GcPod Read(JsonElement pod)
    {
        var metadata = pod.GetProperty("metadata");
        var phase = pod.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var p) ? p.GetString() : null;
        return new GcPod(
            metadata.GetProperty("namespace").GetString()!,
            metadata.GetProperty("name").GetString()!,
            metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
            pod.TryGetProperty("spec", out var spec) && spec.TryGetProperty("nodeName", out var node) ? node.GetString() ?? "" : "",
            phase is "Succeeded" or "Failed",
            metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind == JsonValueKind.String,
            metadata.TryGetProperty("creationTimestamp", out var created) ? created.GetString() ?? "" : "");
    }
}
