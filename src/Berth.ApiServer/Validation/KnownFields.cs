using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Berth.ApiServer.Validation;

/// <summary>
/// Drops the fields a built-in kind does not have, as upstream does when it decodes a request into its typed form,
/// and names each one (<c>spec.template.spec.containers[0].foo</c>) for fieldValidation to report.
/// The fields a type has are the JSON names of its KubernetesClient model's properties, reflected once per type.
/// </summary>
internal static class KnownFields
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Field>> Fields = new();

    /// <summary>Removes the unknown fields of <paramref name="obj"/>, a <paramref name="model"/>, and returns their paths.</summary>
    public static List<string> Prune(JsonObject obj, Type model)
    {
        var unknown = new List<string>();
        PruneObject(obj, model, "", unknown);
        return unknown;
    }

    private static void PruneObject(JsonObject obj, Type model, string path, List<string> unknown)
    {
        var fields = Fields.GetOrAdd(model, Reflect);
        List<string>? doomed = null;
        foreach (var (key, value) in obj)
        {
            if (!fields.TryGetValue(key, out var field))
            {
                // Named in document order; removed after the walk, which must not change what it walks.
                unknown.Add(path + key);
                (doomed ??= []).Add(key);
                continue;
            }
            switch (field.Shape, value)
            {
                case (Shape.Object, JsonObject child):
                    PruneObject(child, field.Model!, $"{path}{key}.", unknown);
                    break;
                case (Shape.List, JsonArray list):
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is JsonObject item)
                            PruneObject(item, field.Model!, $"{path}{key}[{i}].", unknown);
                    }
                    break;
                case (Shape.Map, JsonObject map):
                    foreach (var (entry, item) in map)
                    {
                        if (item is JsonObject itemObject)
                            PruneObject(itemObject, field.Model!, $"{path}{key}.{entry}.", unknown);
                    }
                    break;
            }
        }
        foreach (var key in doomed ?? [])
            obj.Remove(key);
    }

    /// <summary>A model's fields by JSON name, each with what its value holds: a model, a list or map of models, or anything else.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The KubernetesClient models are kept whole (OpenApi/KubernetesModels.xml).")]
    private static Dictionary<string, Field> Reflect(Type model)
    {
        var fields = new Dictionary<string, Field>(StringComparer.Ordinal);
        foreach (var property in model.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } json)
                continue;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var arguments = type.IsGenericType ? type.GetGenericArguments() : [];
            fields[json.Name] = arguments switch
            {
                [] when IsModel(type) => new Field(Shape.Object, type),
                [var element] when IsModel(element) => new Field(Shape.List, element),
                [_, var value] when IsModel(value) => new Field(Shape.Map, value),
                _ => new Field(Shape.Leaf, null),
            };
        }
        return fields;
    }

    /// <summary>A model class with fields of its own (not IntOrString, Quantity or free-form JSON).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The KubernetesClient models are kept whole (OpenApi/KubernetesModels.xml).")]
    private static bool IsModel(Type type) =>
        type.IsClass && type.Namespace == "k8s.Models" && type.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null);

    private enum Shape
    {
        Leaf,
        Object,
        List,
        Map,
    }

    private sealed record Field(Shape Shape, Type? Model);
}
