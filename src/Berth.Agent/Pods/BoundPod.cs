using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Agent.Pods;

/// <summary>What the agent keeps of each pod bound to its node between looks: who it is, where, its phase, and its claim.</summary>
internal sealed record BoundPod(string Key, string Uid, string NodeName, string Phase, PodClaim Claim)
{
    public bool Terminal => Phase is "Succeeded" or "Failed";

    public static BoundPod Read(JsonElement pod)
    {
        var metadata = pod.GetProperty("metadata");
        var phase = pod.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var p) ? p.GetString() ?? "" : "";
        var spec = pod.TryGetProperty("spec", out var s) ? JsonNode.Parse(s.GetRawText()) as JsonObject ?? [] : [];
        return new BoundPod(
            $"{metadata.GetProperty("namespace").GetString()}/{metadata.GetProperty("name").GetString()}",
            metadata.GetProperty("uid").GetString() ?? "",
            spec["nodeName"]?.ToString() ?? "",
            phase,
            PodClaim.Of(spec));
    }
}
