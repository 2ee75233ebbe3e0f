using System.Text.Json.Nodes;
using Berth.Core.Errors;

namespace Berth.Core.CustomResources;

/// <summary>
/// The type meta of embedded resources (<c>x-kubernetes-embedded-resource</c>): apiVersion and kind are required,
/// non-empty strings, and apiVersion is a group/version. Not checked here: kind's spelling (a DNS-1035 label up to
/// case) and the embedded metadata.
/// </summary>
internal static class EmbeddedResourceValidation
{
    public static void Validate(JsonObject obj, JsonObject schema, List<StatusCause> causes) => Validate(obj, schema, "", causes);

    private static void Validate(JsonNode? value, JsonObject? schema, string path, List<StatusCause> causes)
    {
        if (schema is null)
            return;
        switch (value)
        {
            case JsonObject obj:
                if (schema.Flag(SchemaKeywords.EmbeddedResource))
                    ValidateTypeMeta(obj, path, causes);
                foreach (var (key, child) in obj)
                {
                    if (path.Length == 0 && SchemaKeywords.IsResourceMeta(key))
                        continue;
                    if (schema.Property(key) is { } property)
                        Validate(child, property, FieldPath.Child(path, key), causes);
                    else if (schema.IsMap(out var values))
                        Validate(child, values, FieldPath.Key(path, key), causes);
                }
                break;
            case JsonArray list:
                for (var i = 0; i < list.Count; i++)
                    Validate(list[i], schema.Items(), FieldPath.Index(path, i), causes);
                break;
        }
    }

    private static void ValidateTypeMeta(JsonObject obj, string path, List<StatusCause> causes)
    {
        if (!obj.ContainsKey("apiVersion"))
            causes.Add(FieldErrors.Required(FieldPath.Child(path, "apiVersion")));
        if (!obj.ContainsKey("kind"))
            causes.Add(FieldErrors.Required(FieldPath.Child(path, "kind")));
        foreach (var (key, value) in obj)
        {
            if (key is not ("apiVersion" or "kind"))
                continue;
            var field = FieldPath.Child(path, key);
            if (JsonData.TypeOf(value) != JsonType.String)
                causes.Add(FieldErrors.Invalid(field, GoText.Value(value), "must be a string"));
            else if (value!.GetValue<string>() is var text && text.Length == 0)
                causes.Add(FieldErrors.Invalid(field, "\"\"", "must not be empty"));
            else if (key == "apiVersion" && text.Count(c => c == '/') > 1)
                causes.Add(FieldErrors.Invalid(field, GoText.Quote(text), $"unexpected GroupVersion string: {text}"));
        }
    }
}
