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

    /// <summary>The parts of a pod's spec that its claim on the node is made of.</summary>
    private static readonly string[] ClaimParts = ["containers", "initContainers", "overhead"];

    public static BoundPod Read(JsonElement pod)
    {
        var metadata = pod.GetProperty("metadata");
        var phase = pod.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var p) ? p.GetString() ?? "" : "";
        var spec = pod.TryGetProperty("spec", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        var nodeName = spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("nodeName", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        // Only what the claim reads is parsed into a tree: each change of each pod on the node passes through here.
        var claimed = new JsonObject();
        foreach (var part in ClaimParts)
        {
            if (spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty(part, out var value))
                claimed[part] = JsonNode.Parse(JsonMarshal.GetRawUtf8Value(value));
        }
        return new BoundPod(
            $"{metadata.GetProperty("namespace").GetString()}/{metadata.GetProperty("name").GetString()}",
            metadata.GetProperty("uid").GetString() ?? "",
            nodeName,
            phase,
            PodClaim.Of(claimed),
            JsonMarshal.GetRawUtf8Value(pod).ToArray());
    }
}
