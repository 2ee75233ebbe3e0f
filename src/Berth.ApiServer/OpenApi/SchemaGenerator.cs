using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Berth.Core.Patching;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// Builds OpenAPI v3 schemas from the KubernetesClient model types by reflection (ARCHITECTURE.md 3.4): one named
/// schema per model type, properties by their JSON names, references as upstream writes them (<c>allOf</c> with one
/// <c>$ref</c>), descriptions from the package's documentation.
/// </summary>
internal sealed class SchemaGenerator(Dictionary<string, string> docs)
{
    private readonly JsonObject _schemas = [];

    public JsonObject Schemas => _schemas;

    /// <summary>Adds <paramref name="type"/>'s schema (and those it refers to), marked as the kind <paramref name="kind"/> of its group-version.</summary>
    public void AddKind(Type type, string group, string version, string kind)
    {
        var name = Name(type);
        Add(type);
        ((JsonObject)_schemas[name]!)["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version });
    }

    /// <summary>The schema name of a model type: upstream's names end in the Go type name, which is the C# one without its version.</summary>
    public static string Name(Type type)
    {
        var csharp = type.Name;
        var split = 1;
        while (split < csharp.Length && (char.IsDigit(csharp[split]) || csharp.AsSpan(split).StartsWith("alpha", StringComparison.Ordinal) || csharp.AsSpan(split).StartsWith("beta", StringComparison.Ordinal)))
            split += csharp.AsSpan(split).StartsWith("alpha", StringComparison.Ordinal) ? 5 : csharp.AsSpan(split).StartsWith("beta", StringComparison.Ordinal) ? 4 : 1;
        var version = csharp[0] == 'V' && split > 1 ? csharp[..split].ToLowerInvariant() : "unversioned";
        return $"io.k8s.{version}.{csharp[(version == "unversioned" ? 0 : split)..]}";
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The KubernetesClient models are kept whole (OpenApi/KubernetesModels.xml).")]
    private void Add(Type type)
    {
        var name = Name(type);
        if (_schemas.ContainsKey(name))
            return;
        var properties = new JsonObject();
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (docs.TryGetValue("T:" + type.FullName, out var description))
            schema["description"] = description;
        _schemas[name] = schema;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } json)
                continue;
            var propertySchema = Of(property.PropertyType);
            if (docs.TryGetValue($"P:{type.FullName}.{property.Name}", out var propertyDescription))
                propertySchema["description"] = propertyDescription;
            // kubectl apply computes its patches from these, so they must say what the server's merge does.
            var (strategy, mergeKey) = PatchSchema.BuiltIn.Directives(name[(name.LastIndexOf('.') + 1)..], json.Name);
            if (mergeKey is not null)
                propertySchema["x-kubernetes-patch-merge-key"] = mergeKey;
            if (strategy is not null)
                propertySchema["x-kubernetes-patch-strategy"] = strategy;
            properties[json.Name] = propertySchema;
        }
    }

    private JsonObject Of(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            return new JsonObject { ["type"] = "string" };
        if (type == typeof(bool))
            return new JsonObject { ["type"] = "boolean" };
        if (type == typeof(int))
            return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        if (type == typeof(long))
            return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        if (type == typeof(double) || type == typeof(float))
            return new JsonObject { ["type"] = "number", ["format"] = "double" };
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
            return Reference("io.k8s.unversioned.Time", new JsonObject { ["type"] = "string", ["format"] = "date-time" });
        if (type == typeof(byte[]))
            return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        // As upstream's v3 documents: the two types that take either form have no single type but a oneOf, which is
        // also why kubectl explain names them (IntOrString, Quantity) rather than printing a primitive.
        if (type == typeof(IntOrString))
            return Reference("io.k8s.unversioned.IntOrString", new JsonObject { ["format"] = "int-or-string", ["oneOf"] = OneOf("integer", "string") });
        if (type == typeof(ResourceQuantity))
            return Reference("io.k8s.unversioned.Quantity", new JsonObject { ["oneOf"] = OneOf("string", "number") });
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var generic &&
            (generic == typeof(IDictionary<,>) || generic == typeof(Dictionary<,>) || generic == typeof(IReadOnlyDictionary<,>)))
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = Of(type.GetGenericArguments()[1]) };
        }
        if (type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
            return new JsonObject { ["type"] = "array", ["items"] = Of(element) };
        if (type.IsClass && type.Namespace == "k8s.Models")
        {
            Add(type);
            return new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/" + Name(type) }) };
        }
        return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
    }

    private static JsonArray OneOf(params string[] types) => new([.. types.Select(t => (JsonNode)new JsonObject { ["type"] = t })]);

    /// <summary>A reference to a named scalar schema (Time, Quantity, IntOrString), added the first time it is used.</summary>
    private JsonObject Reference(string name, JsonObject schema)
    {
        if (!_schemas.ContainsKey(name))
            _schemas[name] = schema;
        return new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/" + name }) };
    }
}
