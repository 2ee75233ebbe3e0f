using System.Text.Json.Nodes;
using Berth.Core.Errors;

namespace Berth.Core.CustomResources;

/// <summary>
/// The invariants of <c>x-kubernetes-list-type</c>: a set holds no element twice, a map holds objects and no two
/// with the same values of <c>x-kubernetes-list-map-keys</c>. Each repeat is reported at its second appearance.
/// </summary>
internal static class ListTypeValidation
{
    public static void Validate(JsonObject obj, JsonObject schema, List<StatusCause> causes) => ValidateObject(obj, schema, "", causes);

    private static void ValidateObject(JsonObject obj, JsonObject schema, string path, List<StatusCause> causes)
    {
        var isMap = schema.IsMap(out var values);
        foreach (var (key, child) in obj)
        {
            if (path.Length == 0 && SchemaKeywords.IsResourceMeta(key))
                continue;
            if (schema.Property(key) is { } property)
                ValidateValue(child, property, FieldPath.Child(path, key), causes);
            else if (isMap && values is not null)
                ValidateValue(child, values, FieldPath.Key(path, key), causes);
        }
    }

    private static void ValidateValue(JsonNode? value, JsonObject schema, string path, List<StatusCause> causes)
    {
        switch (value)
        {
            case JsonObject obj:
                ValidateObject(obj, schema, path, causes);
                break;
            case JsonArray list:
                ValidateList(list, schema, path, causes);
                break;
        }
    }

    private static void ValidateList(JsonArray list, JsonObject schema, string path, List<StatusCause> causes)
    {
        switch (schema.Text(SchemaKeywords.ListType))
        {
            case "set":
                foreach (var i in Repeats(list.ToList()))
                    causes.Add(FieldErrors.Duplicate(FieldPath.Index(path, i), GoText.Value(list[i])));
                break;
            case "map":
                ValidateListMap(list, schema, path, causes);
                break;
        }
        if (schema.Items() is { } items)
        {
            for (var i = 0; i < list.Count; i++)
                ValidateValue(list[i], items, FieldPath.Index(path, i), causes);
        }
    }

    private static void ValidateListMap(JsonArray list, JsonObject schema, string path, List<StatusCause> causes)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not (null or JsonObject))
            {
                causes.Add(FieldErrors.Invalid(FieldPath.Index(path, i), GoText.Value(list[i]), "must be an object for an array of list-type map"));
                return;
            }
        }
        // An element without a key field has the key "unspecified", which repeats like any other value.
        var keyFields = schema.Texts(SchemaKeywords.ListMapKeys).ToList();
        var keys = list.Select(item => new JsonObject(keyFields
            .Where(f => item is JsonObject element && element.ContainsKey(f))
            .Select(f => KeyValuePair.Create(f, item![f]?.DeepClone())))).ToList();
        foreach (var i in Repeats(keys.Cast<JsonNode?>().ToList()))
            causes.Add(FieldErrors.Duplicate(FieldPath.Index(path, i), GoText.Json(keys[i])));
    }

    /// <summary>
    /// The index of each value's second appearance. Scalars compare with their type (1 and 1.0 differ, as Go's
    /// int64 and float64 do); objects and lists compare by their JSON.
    /// </summary>
    private static IEnumerable<int> Repeats(List<JsonNode?> values)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            var type = JsonData.TypeOf(values[i]);
            var identity = (type is JsonType.Object or JsonType.Array ? "" : type.ToString()) + ":" + GoText.Json(values[i]);
            seen[identity] = seen.GetValueOrDefault(identity) + 1;
            if (seen[identity] == 2)
                yield return i;
        }
    }
}
