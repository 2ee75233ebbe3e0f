using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Errors;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>
/// The types of the fields every object shares (apiVersion, kind, metadata), checked before anything reads them,
/// with the decoding error upstream gives for a value of the wrong JSON type. Kind-specific schemas are checked by
/// the declarative-API validation.
/// </summary>
internal static class ObjectShape
{
    private static readonly (string Field, string GoType)[] MetadataStrings =
        [("name", "string"), ("generateName", "string"), ("namespace", "string"), ("resourceVersion", "string"), ("uid", "types.UID")];

    private static readonly string[] MetadataStringMaps = ["labels", "annotations"];

    public static void Check(ResourceInfo resource, JsonObject obj)
    {
        foreach (var field in new[] { "apiVersion", "kind" })
        {
            if (obj[field] is { } value && value.GetValueKind() != JsonValueKind.String)
                throw Error(resource, value, $"Go struct field .{field}", "string");
        }
        if (obj["metadata"] is not { } metadataNode)
            return;
        if (metadataNode is not JsonObject metadata)
            throw Error(resource, metadataNode, "Go struct field .metadata", "v1.ObjectMeta");
        foreach (var (field, goType) in MetadataStrings)
        {
            if (metadata[field] is { } value && value.GetValueKind() != JsonValueKind.String)
                throw Error(resource, value, $"Go struct field ObjectMeta.metadata.{field}", goType);
        }
        foreach (var field in MetadataStringMaps)
        {
            if (metadata[field] is not { } value)
                continue;
            if (value is not JsonObject map)
                throw Error(resource, value, $"Go struct field ObjectMeta.metadata.{field}", "map[string]string");
            foreach (var (_, entry) in map)
            {
                if (entry is not null && entry.GetValueKind() != JsonValueKind.String)
                    throw Error(resource, entry, $"Go struct field ObjectMeta.metadata.{field}", "string");
            }
        }
        if (metadata["finalizers"] is { } finalizers &&
            (finalizers is not JsonArray list || list.Any(f => f is null || f.GetValueKind() != JsonValueKind.String)))
        {
            throw Error(resource, finalizers, "Go struct field ObjectMeta.metadata.finalizers", "[]string");
        }
    }

    private static ApiException Error(ResourceInfo resource, JsonNode value, string field, string goType) =>
        new(ApiStatus.BadRequest(
            $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: json: cannot unmarshal {JsonType(value)} into {field} of type {goType}"));

    private static string JsonType(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };
}
