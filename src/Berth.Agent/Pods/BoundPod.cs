using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Agent.Pods;

/// <summary>
/// What the agent keeps of each pod bound to its node: who it is, where, its phase and its claim, and the whole pod as
/// the watch last showed it (JSON text, a fraction of a parsed tree's size), which each look at the pod starts from, as
/// upstream's kubelet works from the pods its watch delivers rather than reading each one again.
/// </summary>
internal sealed record BoundPod(string Key, string Uid, string NodeName, string Phase, PodClaim Claim, byte[] Json)
{
    public bool Terminal => Phase is "Succeeded" or "Failed";

    /// <summary>The pod, parsed afresh for the caller to read and change.</summary>
    public JsonObject Parse() => JsonNode.Parse(Json)!.AsObject();

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
            PodClaim.Of(spec),
            JsonMarshal.GetRawUtf8Value(pod).ToArray());
    }
}
