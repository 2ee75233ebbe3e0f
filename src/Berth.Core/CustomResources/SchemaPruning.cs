using System.Text.Json.Nodes;

namespace Berth.Core.CustomResources;

/// <summary>
/// Structural pruning: what the schema does not declare is dropped, so a custom resource stores only known fields.
/// Declared are the <c>properties</c> of an object, every key of a map (<c>additionalProperties</c>), every element
/// of a list (<c>items</c>), anything under <c>x-kubernetes-preserve-unknown-fields</c> (whose declared parts are
/// still pruned) and an embedded resource's apiVersion, kind and metadata.
/// </summary>
internal static class SchemaPruning
{
    /// <summary>Prunes <paramref name="obj"/> in place and returns the dropped paths, sorted.</summary>
    public static List<string> Prune(JsonObject obj, JsonObject schema)
    {
        var unknown = new List<string>();
        Prune(obj, schema, "", unknown);
        DropNulls(obj, schema, root: true);
        unknown.Sort(StringComparer.Ordinal);
        return unknown;
    }

    private static void Prune(JsonNode? value, JsonObject? schema, string path, List<string> unknown) =>
        Prune(value, schema, path, unknown, preserve: schema?.Flag(SchemaKeywords.PreserveUnknownFields) == true);

    /// <summary>
    /// Prunes a value; <paramref name="preserve"/> keeps its undeclared fields. Upstream extends that leniency to the
    /// elements of a preserving list: an element keeps its unknown fields, its declared fields are pruned as usual.
    /// </summary>
    private static void Prune(JsonNode? value, JsonObject? schema, string path, List<string> unknown, bool preserve)
    {
        switch (value)
        {
            case JsonObject obj:
                // The root is a resource too: its apiVersion, kind and metadata are the server's.
                var embedded = path.Length == 0 || schema?.Flag(SchemaKeywords.EmbeddedResource) == true;
                foreach (var (key, child) in obj.ToList())
                {
                    if (embedded && SchemaKeywords.IsResourceMeta(key))
                        continue;
                    if (schema is not null && Declared(schema, key, out var fieldSchema))
                    {
                        Prune(child, fieldSchema, FieldPath.Child(path, key), unknown);
                    }
                    else if (!preserve)
                    {
                        unknown.Add(FieldPath.Child(path, key));
                        obj.Remove(key);
                    }
                }
                break;
            case JsonArray list:
                var items = schema?.Items();
                if (preserve && items is null)
                    break;
                for (var i = 0; i < list.Count; i++)
                    Prune(list[i], items, FieldPath.Index(path, i), unknown, preserve || items?.Flag(SchemaKeywords.PreserveUnknownFields) == true);
                break;
        }
    }

    /// <summary>Whether the schema declares <paramref name="key"/>, and the key's schema (none for a map of anything).</summary>
    private static bool Declared(JsonObject schema, string key, out JsonObject? fieldSchema)
    {
        fieldSchema = schema.Property(key);
        if (fieldSchema is not null)
            return true;
        return schema.IsMap(out fieldSchema);
    }

    /// <summary>
    /// Drops <c>null</c> where the schema says neither nullable nor default: a null there means "unset", and
    /// dropping it keeps validation from rejecting it. Nulls that have a default are left for defaulting.
    /// </summary>
    private static void DropNulls(JsonNode? value, JsonObject? schema, bool root = false)
    {
        switch (value)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    if (root && SchemaKeywords.IsResourceMeta(key))
                        continue;
                    var fieldSchema = schema?.FieldSchema(key);
                    if (child is null && fieldSchema is not null && !fieldSchema.Flag("nullable") && fieldSchema.Default() is null)
                        obj.Remove(key);
                    else
                        DropNulls(child, fieldSchema);
                }
                break;
            case JsonArray list:
                foreach (var item in list)
                    DropNulls(item, schema?.Items());
                break;
        }
    }
}
