using System.Text.Json;

namespace Berth.Controllers.Endpoints;

/// <summary>A node's zone (its <c>topology.kubernetes.io/zone</c> label), which EndpointSlices give each endpoint on it.</summary>
internal sealed record NodeZone(string Name, string? Zone)
{
    private const string ZoneLabel = "topology.kubernetes.io/zone";

    public static NodeZone Read(JsonElement node)
    {
        var metadata = node.GetProperty("metadata");
        var zone = metadata.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty(ZoneLabel, out var z)
            ? z.GetString()
            : null;
        return new NodeZone(metadata.GetProperty("name").GetString()!, zone);
    }
}
