using System.Text.Json.Nodes;

namespace Berth.Core.Patching;

/// <summary>
/// The merge metadata of a kind described by a structural OpenAPI schema (a custom resource's): lists with
/// <c>x-kubernetes-list-type: map</c> are keyed by their <c>x-kubernetes-list-map-keys</c> (with the keys'
/// defaults), <c>set</c>
/// lists are sets, objects with <c>x-kubernetes-map-type: atomic</c> are atomic, and maps
/// (<c>additionalProperties</c>) describe every key alike. Metadata is the built-in ObjectMeta.
/// </summary>
public static class OpenApiPatchSchema
{
    private const string ObjectMeta = "ObjectMeta";

    /// <summary>The schema of <paramref name="kind"/>, whose object <paramref name="schema"/> describes.</summary>
    public static PatchType For(string kind, JsonObject schema)
    {
        var types = new Dictionary<string, Dictionary<string, PatchField>>(StringComparer.Ordinal);
        if (PatchSchema.BuiltIn.Fields(ObjectMeta) is { } objectMeta)
            types[ObjectMeta] = objectMeta;
        Describe(types, kind, schema);
        types[kind]["metadata"] = new PatchField(PatchFieldKind.Object, ObjectMeta, null);
        return new PatchSchema(types).ForKind(kind);
    }

    /// <summary>Adds the type <paramref name="name"/> for an object schema, and the types its fields lead to.</summary>
    private static void Describe(Dictionary<string, Dictionary<string, PatchField>> types, string name, JsonObject schema)
    {
        var fields = new Dictionary<string, PatchField>(StringComparer.Ordinal);
        types[name] = fields;
        foreach (var (field, value) in schema["properties"] as JsonObject ?? [])
        {
            if (value is JsonObject property && Field(types, $"{name}.{field}", property) is { } described)
                fields[field] = described;
        }
        if (schema["additionalProperties"] is JsonObject values && Field(types, $"{name}.*", values) is { } each)
            fields[PatchSchema.AnyKey] = each;
    }

    private static PatchField? Field(Dictionary<string, Dictionary<string, PatchField>> types, string name, JsonObject property)
    {
        switch (property["type"]?.GetValue<string>())
        {
            case "array":
                var items = property["items"] as JsonObject;
                switch (property["x-kubernetes-list-type"]?.GetValue<string>())
                {
                    case "map" when property["x-kubernetes-list-map-keys"] is JsonArray { Count: > 0 } keys && items is not null:
                        Describe(types, name + "[]", items);
                        var listKeys = keys.Select(k => k!.GetValue<string>())
                            .Select(k => new ListKey(k, items["properties"]?[k]?["default"]?.DeepClone())).ToList();
                        return new PatchField(PatchFieldKind.KeyedList, name + "[]", listKeys[0].Name) { ListKeys = listKeys };
                    case "set":
                        return new PatchField(PatchFieldKind.Set, null, null);
                    default:
                        return null;
                }
            case "object" when property["x-kubernetes-map-type"]?.GetValue<string>() == "atomic":
                return new PatchField(PatchFieldKind.Atomic, null, null);
            case "object" when property["properties"] is JsonObject || property["additionalProperties"] is JsonObject:
                Describe(types, name, property);
                return new PatchField(PatchFieldKind.Object, name, null);
            default:
                return null;
        }
    }
}
