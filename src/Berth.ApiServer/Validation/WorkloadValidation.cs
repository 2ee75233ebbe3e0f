using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Core.Errors;
using Berth.Core.Selectors;

namespace Berth.ApiServer.Validation;

/// <summary>Replicas, the selector (required, matching the template, fixed once created) and the pod template of a workload.</summary>
internal static class WorkloadValidation
{
    public static void Validate(JsonObject spec, JsonObject? previous, List<StatusCause> causes)
    {
        if (JsonNumbers.Integer(spec["replicas"]) is { } count and < 0)
            causes.Add(new StatusCause("FieldValueInvalid", string.Create(CultureInfo.InvariantCulture, $"Invalid value: {count}: must be greater than or equal to 0"), "spec.replicas"));
        var template = spec["template"] as JsonObject;
        MetadataValidation.Validate(template?["metadata"] as JsonObject, "spec.template.metadata", causes);
        var claims = (spec["volumeClaimTemplates"] as JsonArray ?? []).Select(c => c?["metadata"]?["name"]?.ToString() ?? "").Where(n => n.Length > 0).ToList();
        PodSpecValidation.Validate(template?["spec"] as JsonObject, "spec.template.spec", causes, claims);

        if (spec["selector"] is not JsonObject selector)
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.selector"));
            return;
        }
        if (previous?["spec"]?["selector"] is { } before && !JsonNode.DeepEquals(before, selector))
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {GoSelector(selector)}: field is immutable", "spec.selector"));
        var labels = (template?["metadata"]?["labels"] as JsonObject ?? [])
            .ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        if (LabelSelector.FromJson(selector) is { } parsed && !parsed.Matches(labels))
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {GoMap(labels)}: `selector` does not match template `labels`", "spec.template.metadata.labels"));
    }

    /// <summary>A job's pod template: valid, and restarted on failure or never (a job's pods end).</summary>
    public static void ValidateJob(JsonObject spec, string path, List<StatusCause> causes)
    {
        var template = spec["template"] as JsonObject;
        MetadataValidation.Validate(template?["metadata"] as JsonObject, $"{path}.template.metadata", causes);
        PodSpecValidation.Validate(template?["spec"] as JsonObject, $"{path}.template.spec", causes);
        var restart = template?["spec"]?["restartPolicy"]?.ToString() ?? "";
        if (restart is not ("OnFailure" or "Never"))
        {
            causes.Add(new StatusCause("FieldValueNotSupported",
                $"Unsupported value: \"{restart}\": supported values: \"OnFailure\", \"Never\"", $"{path}.template.spec.restartPolicy"));
        }
    }

    /// <summary>A map as Go's %#v prints it (keys sorted), which upstream's messages quote.</summary>
    private static string GoMap(IReadOnlyDictionary<string, string> map) =>
        "map[string]string{" + string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"\"{p.Key}\":\"{p.Value}\"")) + "}";

    private static string GoSelector(JsonObject selector)
    {
        var labels = (selector["matchLabels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        var expressions = selector["matchExpressions"] is JsonArray { Count: > 0 } ? "[]v1.LabelSelectorRequirement{...}" : "[]v1.LabelSelectorRequirement(nil)";
        return $"v1.LabelSelector{{MatchLabels:{(labels.Count == 0 ? "map[string]string(nil)" : GoMap(labels))}, MatchExpressions:{expressions}}}";
    }
}
