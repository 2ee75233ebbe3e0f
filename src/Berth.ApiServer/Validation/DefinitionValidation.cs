using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>What makes a CustomResourceDefinition servable, checked as upstream checks it, with its field paths and words.</summary>
internal static class DefinitionValidation
{
    public static void Validate(JsonObject definition, List<StatusCause> causes)
    {
        var spec = definition["spec"] as JsonObject ?? [];
        var names = spec["names"] as JsonObject ?? [];
        var group = ObjectJson.GetString(spec, "group") ?? "";
        var plural = ObjectJson.GetString(names, "plural") ?? "";
        var name = ObjectJson.Name(definition) ?? "";

        if (group.Length == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.group"));
        else if (!group.Contains('.', StringComparison.Ordinal))
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{group}\": should be a domain with at least one dot", "spec.group"));
        if (plural.Length == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.names.plural"));
        if (string.IsNullOrEmpty(ObjectJson.GetString(names, "kind")))
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.names.kind"));
        if (name != $"{plural}.{group}")
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", "metadata.name"));
        if (ObjectJson.GetString(spec, "scope") is not ("Namespaced" or "Cluster") and var scope)
            causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"", "spec.scope"));

        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (versions.Count == 0)
            causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: \"null\": must have exactly one version marked as storage version", "spec.versions"));
        else if (versions.Count(v => v["storage"]?.GetValue<bool>() == true) != 1)
            causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: \"...\": must have exactly one version marked as storage version", "spec.versions"));
        for (var i = 0; i < versions.Count; i++)
        {
            if (string.IsNullOrEmpty(ObjectJson.GetString(versions[i], "name")))
                causes.Add(new StatusCause("FieldValueRequired", "Required value", $"spec.versions[{i}].name"));
            if (versions[i]["schema"]?["openAPIV3Schema"] is not JsonObject)
                causes.Add(new StatusCause("FieldValueRequired", "Required value: schemas are required", $"spec.versions[{i}].schema.openAPIV3Schema"));
        }
    }
}
