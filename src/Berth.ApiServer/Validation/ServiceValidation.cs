using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>A Service's type, ports (required, in range, named when several, names unique) and external name.</summary>
internal static class ServiceValidation
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

    public static void Validate(JsonObject spec, List<StatusCause> causes)
    {
        var type = Text(spec["type"]);
        if (!Types.Contains(type))
        {
            causes.Add(new StatusCause("FieldValueNotSupported",
                $"Unsupported value: \"{type}\": supported values: {string.Join(", ", Types.Select(t => $"\"{t}\""))}", "spec.type"));
        }
        if (type == "ExternalName")
        {
            if (Text(spec["externalName"]).Length == 0)
                causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.externalName"));
            return;
        }
        var ports = spec["ports"] as JsonArray ?? [];
        if (ports.Count == 0 && Text(spec["clusterIP"]) != "None")
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.ports"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i] is not JsonObject port)
                continue;
            var name = Text(port["name"]);
            if (ports.Count > 1 && name.Length == 0)
                causes.Add(new StatusCause("FieldValueRequired", "Required value", $"spec.ports[{i}].name"));
            else if (name.Length > 0 && !names.Add(name))
                causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"spec.ports[{i}].name"));
            if (JsonNumbers.Integer(port["port"]) is not (>= 1 and <= 65535))
            {
                var shown = port["port"]?.ToJsonString() ?? "0";
                causes.Add(new StatusCause("FieldValueInvalid",
                    string.Create(CultureInfo.InvariantCulture, $"Invalid value: {shown}: must be between 1 and 65535, inclusive"), $"spec.ports[{i}].port"));
            }
        }
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
}
