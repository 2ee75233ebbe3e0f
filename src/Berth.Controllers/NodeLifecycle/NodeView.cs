using System.Text.Json;

namespace Berth.Controllers.NodeLifecycle;

/// <summary>A node condition as the lifecycle controller reads it.</summary>
internal sealed record NodeCondition(string Type, string Status, string? Heartbeat);

/// <summary>A taint, by what identifies it: key and effect.</summary>
internal sealed record Taint(string Key, string Effect);

/// <summary>What the node lifecycle controller keeps of a Node: its zone, conditions, taints and whether it is cordoned.</summary>
internal sealed record NodeView(string Name, string Uid, string Zone, IReadOnlyList<NodeCondition> Conditions, IReadOnlyList<Taint> Taints, bool Unschedulable)
{
    private const string RegionLabel = "topology.kubernetes.io/region";
    private const string ZoneLabel = "topology.kubernetes.io/zone";

    /// <summary>The Ready condition's status, null when the node never posted one.</summary>
    public string? Ready => Conditions.FirstOrDefault(c => c.Type == "Ready")?.Status;

    public bool Has(Taint taint) => Taints.Contains(taint);

    public static NodeView Read(JsonElement node)
    {
        var metadata = node.GetProperty("metadata");
        var labels = metadata.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
        string Label(string key) => labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty(key, out var v) ? v.GetString() ?? "" : "";
        var spec = node.TryGetProperty("spec", out var s) ? s : default;
        return new NodeView(
            metadata.GetProperty("name").GetString()!,
            metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
            // Upstream keys a zone by region and zone together; a node with neither is in the zone "".
            Label(RegionLabel) + ":\0:" + Label(ZoneLabel),
            [.. Items(node.TryGetProperty("status", out var status) ? status : default, "conditions").Select(c => new NodeCondition(
                Text(c, "type"), Text(c, "status"), c.TryGetProperty("lastHeartbeatTime", out var beat) ? beat.GetString() : null))],
            [.. Items(spec, "taints").Select(t => new Taint(Text(t, "key"), Text(t, "effect")))],
            spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("unschedulable", out var u) && u.ValueKind == JsonValueKind.True);
    }

    private static readonly JsonElement NoItems = JsonDocument.Parse("[]").RootElement;

    private static JsonElement.ArrayEnumerator Items(JsonElement parent, string name) =>
        (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array : NoItems)
            .EnumerateArray();

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
