using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>
/// Where a scalable resource keeps what its <c>scale</c> subresource shows: spec.replicas, status.replicas and a
/// label selector for the built-in workloads; the paths its definition names for a custom resource.
/// </summary>
internal sealed record ScalePaths(string SpecReplicas, string StatusReplicas, string? Selector, bool SelectorIsText, long DefaultReplicas)
{
    private static readonly ScalePaths Workload = new("spec.replicas", "status.replicas", "spec.selector", SelectorIsText: false, DefaultReplicas: 1);

    public static ScalePaths Of(ResourceInfo resource) =>
        resource.Custom?.Version["subresources"]?["scale"] is JsonObject scale
            ? new ScalePaths(Path(scale, "specReplicasPath") ?? "spec.replicas", Path(scale, "statusReplicasPath") ?? "status.replicas",
                Path(scale, "labelSelectorPath"), SelectorIsText: true, DefaultReplicas: 0)
            : Workload;

    /// <summary>The value at a dotted path, or null.</summary>
    public static JsonNode? At(JsonNode? node, string? path)
    {
        if (path is null)
            return null;
        foreach (var part in path.Split('.'))
            node = node is JsonObject o ? o[part] : null;
        return node;
    }

    /// <summary>Sets the value at a dotted path, making the objects on the way.</summary>
    public static void Set(JsonObject obj, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        foreach (var part in parts[..^1])
            obj = obj[part] as JsonObject ?? (JsonObject)(obj[part] = new JsonObject());
        obj[parts[^1]] = value;
    }

    /// <summary>A definition's JSONPath (<c>.spec.replicas</c>) as a dotted path.</summary>
    private static string? Path(JsonObject scale, string field) => ObjectJson.GetString(scale, field)?.TrimStart('.');
}
