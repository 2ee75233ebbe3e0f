using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>A pod spec (in a pod or a template) as upstream validates the parts users most often get wrong.</summary>
internal static class PodSpecValidation
{
    public static void Validate(JsonObject? spec, string path, List<StatusCause> causes)
    {
        if (spec is null)
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{path}.containers"));
            return;
        }
        if (spec["containers"] is not JsonArray { Count: > 0 })
            causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{path}.containers"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            var containers = spec[list] as JsonArray ?? [];
            for (var i = 0; i < containers.Count; i++)
            {
                if (containers[i] is not JsonObject container)
                    continue;
                var at = $"{path}.{list}[{i}]";
                var name = Text(container["name"]);
                if (name.Length == 0)
                    causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{at}.name"));
                else if (!NameRules.IsDnsLabel(name))
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {NameRules.LabelMessage}", $"{at}.name"));
                else if (!names.Add(name))
                    causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"{at}.name"));
                if (Text(container["image"]).Length == 0)
                    causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{at}.image"));
                var ports = container["ports"] as JsonArray ?? [];
                for (var p = 0; p < ports.Count; p++)
                {
                    if (JsonNumbers.Integer(ports[p]?["containerPort"]) is { } number and (< 1 or > 65535))
                    {
                        causes.Add(new StatusCause("FieldValueInvalid",
                            string.Create(CultureInfo.InvariantCulture, $"Invalid value: {number}: must be between 1 and 65535, inclusive"), $"{at}.ports[{p}].containerPort"));
                    }
                }
            }
        }
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
}
