using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>The fields each kind can be selected by (upstream's field label conversions), read from an object.</summary>
internal static class SelectableFields
{
    private static readonly Dictionary<string, string[]> ByResource = new(StringComparer.Ordinal)
    {
        ["pods"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
            "status.phase", "status.podIP", "status.nominatedNodeName"],
        ["events"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent",
            "source", "type"],
        ["secrets"] = ["type"],
        ["nodes"] = ["spec.unschedulable"],
        ["namespaces"] = ["status.phase"],
        ["replicasets"] = ["status.replicas"],
        ["jobs"] = ["status.successful"],
        ["certificatesigningrequests"] = ["spec.signerName"],
    };

    /// <summary>Null if every field the selector names can be selected on; else upstream's complaint.</summary>
    public static string? Unsupported(ResourceInfo resource, IEnumerable<string> fields)
    {
        var allowed = ByResource.GetValueOrDefault(resource.Plural, []);
        var bad = fields.FirstOrDefault(f => f is not ("metadata.name" or "metadata.namespace") && !allowed.Contains(f));
        return bad is null ? null : $"field label not supported: {bad}";
    }

    public static Dictionary<string, string> Of(ResourceInfo resource, JsonObject obj)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["metadata.name"] = ObjectJson.Name(obj) ?? "",
            ["metadata.namespace"] = ObjectJson.Namespace(obj) ?? "",
        };
        foreach (var path in ByResource.GetValueOrDefault(resource.Plural, []))
            fields[path] = Read(obj, path);
        return fields;
    }

    private static string Read(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
            node = node is JsonObject o ? o[part] : null;
        if (path == "source" && obj["source"] is JsonObject source)
            return ObjectJson.GetString(source, "component") ?? "";
        return node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToJsonString(),
            _ => "",
        };
    }
}
