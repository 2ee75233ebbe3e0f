using System.Text.Json;
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

    public static Dictionary<string, string> Of(ResourceInfo resource, JsonElement obj)
    {
        var metadata = Child(obj, "metadata");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["metadata.name"] = Text(Child(metadata, "name")),
            ["metadata.namespace"] = Text(Child(metadata, "namespace")),
        };
        foreach (var path in ByResource.GetValueOrDefault(resource.Plural, []))
            fields[path] = Read(obj, path);
        return fields;
    }

    private static string Read(JsonElement obj, string path)
    {
        if (path == "source" && Child(obj, "source") is { ValueKind: JsonValueKind.Object } source)
            return Text(Child(source, "component"));
        var value = obj;
        foreach (var part in path.Split('.'))
            value = Child(value, part);
        return value.ValueKind switch
        {
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.GetRawText(),
            _ => Text(value),
        };
    }

    /// <summary>The member <paramref name="name"/> of an object; undefined for anything else or a missing member.</summary>
    private static JsonElement Child(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) ? value : default;

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
