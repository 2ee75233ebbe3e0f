using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Core.CustomResources;

/// <summary>
/// The keywords of one node of a CRD's <c>openAPIV3Schema</c>, read leniently: a keyword of the wrong shape counts as
/// absent, because the schema was validated when the CRD was written and a custom resource must not fail on it.
/// </summary>
internal static class SchemaKeywords
{
    public const string PreserveUnknownFields = "x-kubernetes-preserve-unknown-fields";
    public const string EmbeddedResource = "x-kubernetes-embedded-resource";
    public const string IntOrString = "x-kubernetes-int-or-string";
    public const string ListType = "x-kubernetes-list-type";
    public const string ListMapKeys = "x-kubernetes-list-map-keys";

    private static readonly string[] IntegerOrString = ["integer", "string"];

    /// <summary>
    /// apiVersion, kind or metadata: at a resource's root (and an embedded resource's) these are the server's,
    /// whatever the schema says about them.
    /// </summary>
    public static bool IsResourceMeta(string key) => key is "apiVersion" or "kind" or "metadata";

    public static JsonObject? Property(this JsonObject schema, string name) => (schema["properties"] as JsonObject)?[name] as JsonObject;

    public static IEnumerable<KeyValuePair<string, JsonObject>> Properties(this JsonObject schema) =>
        (schema["properties"] as JsonObject ?? [])
            .Where(p => p.Value is JsonObject)
            .Select(p => KeyValuePair.Create(p.Key, (JsonObject)p.Value!));

    public static JsonObject? Items(this JsonObject schema) => schema["items"] as JsonObject;

    /// <summary>
    /// Whether the object is a map: <c>additionalProperties</c> is a schema (then <paramref name="values"/>) or true
    /// (values with no schema of their own). False counts as absent: structural schemas forbid it.
    /// </summary>
    public static bool IsMap(this JsonObject schema, out JsonObject? values)
    {
        values = schema["additionalProperties"] as JsonObject;
        return values is not null || schema["additionalProperties"]?.GetValueKind() == JsonValueKind.True;
    }

    /// <summary>The schema of the value at <paramref name="key"/>: its property, or the map's value schema.</summary>
    public static JsonObject? FieldSchema(this JsonObject schema, string key) =>
        schema.Property(key) ?? (schema.IsMap(out var values) ? values : null);

    public static bool Flag(this JsonObject schema, string keyword) => schema[keyword]?.GetValueKind() == JsonValueKind.True;

    public static string? Text(this JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static double? Number(this JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? JsonData.GetDouble(value) : null;

    public static long? Count(this JsonObject schema, string keyword) => schema.Number(keyword) is { } n ? (long)n : null;

    /// <summary>The default, if any: a JSON <c>null</c> default is no default, as upstream reads it.</summary>
    public static JsonNode? Default(this JsonObject schema) => schema["default"];

    /// <summary>
    /// The types a value may have: <c>x-kubernetes-int-or-string</c> means integer or string (upstream validates it as
    /// the type list "integer,string"); no type means any.
    /// </summary>
    public static IReadOnlyList<string> Types(this JsonObject schema) =>
        schema.Flag(IntOrString) ? IntegerOrString : schema.Text("type") is { Length: > 0 } type ? [type] : [];

    public static IEnumerable<JsonObject> Schemas(this JsonObject schema, string keyword) =>
        (schema[keyword] as JsonArray ?? []).OfType<JsonObject>();

    public static IEnumerable<string> Texts(this JsonObject schema, string keyword) =>
        (schema[keyword] as JsonArray ?? [])
            .Where(n => n?.GetValueKind() == JsonValueKind.String)
            .Select(n => n!.GetValue<string>());
}
