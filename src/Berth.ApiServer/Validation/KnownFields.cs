using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Berth.ApiServer.Validation;

/// <summary>
/// Drops the fields a built-in kind does not have, as upstream does when it decodes a request into its typed form,
/// and names each one (<c>spec.template.spec.containers[0].foo</c>) for fieldValidation to report.
/// The fields a type has are the JSON names of its KubernetesClient model's properties.
/// </summary>
internal static class KnownFields
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>> Properties = new();
    private static readonly ConcurrentDictionary<Type, bool> Models = new();

    /// <summary>Removes the unknown fields of <paramref name="obj"/>, a <paramref name="model"/>, and returns their paths.</summary>
    public static List<string> Prune(JsonObject obj, Type model)
    {
        var unknown = new List<string>();
        PruneObject(obj, model, "", unknown);
        return unknown;
    }

    private static void PruneObject(JsonObject obj, Type model, string path, List<string> unknown)
    {
        var properties = Properties.GetOrAdd(model, static type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name, p => p.PropertyType, StringComparer.Ordinal));
        foreach (var (key, value) in obj.ToList())
        {
            if (!properties.TryGetValue(key, out var type))
            {
                unknown.Add(path + key);
                obj.Remove(key);
                continue;
            }
            PruneValue(value, type, path + key, unknown);
        }
    }

    private static void PruneValue(JsonNode? value, Type type, string path, List<string> unknown)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsModel(type) && value is JsonObject obj)
        {
            PruneObject(obj, type, path + ".", unknown);
        }
        else if (type.IsGenericType && type.GetGenericArguments() is [var _, var valueType] && value is JsonObject map && IsModel(valueType))
        {
            foreach (var (key, item) in map)
            {
                if (item is JsonObject itemObject)
                    PruneObject(itemObject, valueType, $"{path}.{key}.", unknown);
            }
        }
        else if (type.IsGenericType && type.GetGenericArguments() is [var element] && value is JsonArray list && IsModel(element))
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is JsonObject item)
                    PruneObject(item, element, $"{path}[{i}].", unknown);
            }
        }
    }

    /// <summary>A model class with fields of its own (not IntOrString, Quantity or free-form JSON).</summary>
    private static bool IsModel(Type type) => Models.GetOrAdd(type, static type =>
        type.IsClass && type.Namespace == "k8s.Models" && type.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null));
}
