using System.Text.Json.Nodes;

namespace Berth.Core.CustomResources;

/// <summary>
/// Structural defaulting: an absent field whose schema has a <c>default</c> gets a copy of it, and so does a
/// <c>null</c> one unless the schema says nullable. Defaults apply inside objects that exist (or were just
/// defaulted), so an absent parent without a default of its own stays absent.
/// </summary>
internal static class SchemaDefaulting
{
    public static void ApplyDefaults(JsonObject obj, JsonObject schema) => Default(obj, schema, root: true);

    private static void Default(JsonNode? value, JsonObject? schema, bool root = false)
    {
        if (schema is null)
            return;
        switch (value)
        {
            case JsonObject obj:
                foreach (var (key, property) in schema.Properties())
                {
                    if (root && SchemaKeywords.IsResourceMeta(key))
                        continue;
                    if (property.Default() is { } fallback && (!obj.TryGetPropertyValue(key, out var current) || IsNonNullableNull(current, property)))
                        obj[key] = fallback.DeepClone();
                }
                foreach (var (key, child) in obj.ToList())
                {
                    if (root && SchemaKeywords.IsResourceMeta(key))
                        continue;
                    if (schema.Property(key) is { } property)
                    {
                        Default(child, property);
                    }
                    else if (schema.IsMap(out var values))
                    {
                        var filled = Filled(child, values);
                        if (!ReferenceEquals(filled, child))
                            obj[key] = filled;
                        Default(filled, values);
                    }
                }
                break;
            case JsonArray list:
                var items = schema.Items();
                for (var i = 0; i < list.Count; i++)
                {
                    var filled = Filled(list[i], items);
                    if (!ReferenceEquals(filled, list[i]))
                        list[i] = filled;
                    Default(filled, items);
                }
                break;
        }
    }

    /// <summary>A map value or list element: its default in place of a null the schema does not allow, else itself.</summary>
    private static JsonNode? Filled(JsonNode? value, JsonObject? schema) =>
        schema is not null && IsNonNullableNull(value, schema) && schema.Default() is { } fallback ? fallback.DeepClone() : value;

    private static bool IsNonNullableNull(JsonNode? value, JsonObject schema) => value is null && !schema.Flag("nullable");
}
