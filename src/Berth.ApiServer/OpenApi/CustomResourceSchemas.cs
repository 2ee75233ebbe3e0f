using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI v3 documents of custom resources, one per group-version as upstream serves them: each kind's schema
/// is its definition's <c>openAPIV3Schema</c> with apiVersion, kind and metadata (a reference to ObjectMeta, whose
/// schemas come from the core document) and <c>x-kubernetes-group-version-kind</c>; each resource has a PATCH operation.
/// </summary>
internal static class CustomResourceSchemas
{
    private const string SchemaRef = "#/components/schemas/";
    private const string ObjectMeta = "io.k8s.v1.ObjectMeta";

    public static Dictionary<string, (byte[] Json, string Hash)> Documents(IEnumerable<ResourceInfo> custom, JsonObject coreDocument,
        Func<ResourceInfo, string, JsonObject> patchOperation)
    {
        var coreSchemas = coreDocument["components"]?["schemas"] as JsonObject ?? [];
        var documents = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var groupVersion in custom.GroupBy(r => r.GroupVersion))
        {
            var schemas = new JsonObject();
            CopyWithReferences(coreSchemas, ObjectMeta, schemas);
            var paths = new JsonObject();
            foreach (var resource in groupVersion)
            {
                var name = SchemaName(resource);
                schemas[name] = KindSchema(resource);
                paths[OpenApiDocuments.ObjectPath(resource)] = new JsonObject { ["patch"] = patchOperation(resource, name) };
            }
            documents[$"apis/{groupVersion.Key}"] = OpenApiDocuments.Serialize(OpenApiDocuments.Document(paths, schemas));
        }
        return documents;
    }

    /// <summary>Upstream's name for a custom kind's schema: the group reversed, the version, the kind (<c>com.example.stable.v1.CronTab</c>).</summary>
    private static string SchemaName(ResourceInfo resource) =>
        $"{string.Join('.', resource.Group.Split('.').Reverse())}.{resource.Version}.{resource.Kind}";

    private static JsonObject KindSchema(ResourceInfo resource)
    {
        var schema = resource.Custom!.Schema?.DeepClone().AsObject() ?? new JsonObject { ["type"] = "object" };
        var properties = schema["properties"] as JsonObject ?? (JsonObject)(schema["properties"] = new JsonObject());
        properties["apiVersion"] = new JsonObject
        {
            ["description"] = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
            ["type"] = "string",
        };
        properties["kind"] = new JsonObject
        {
            ["description"] = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            ["type"] = "string",
        };
        properties["metadata"] = new JsonObject
        {
            ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = SchemaRef + ObjectMeta }),
            ["description"] = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        };
        schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = resource.Group, ["kind"] = resource.Kind, ["version"] = resource.Version });
        return schema;
    }

    /// <summary>Copies a schema and every schema it refers to, transitively.</summary>
    private static void CopyWithReferences(JsonObject from, string name, JsonObject to)
    {
        if (to.ContainsKey(name) || from[name] is not JsonObject schema)
            return;
        to[name] = schema.DeepClone();
        foreach (var reference in References(schema))
            CopyWithReferences(from, reference, to);
    }

    private static IEnumerable<string> References(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "$ref" && p.Value is JsonValue v && v.GetValue<string>().StartsWith(SchemaRef, StringComparison.Ordinal)
            ? [v.GetValue<string>()[SchemaRef.Length..]]
            : References(p.Value)),
        JsonArray a => a.SelectMany(References),
        _ => [],
    };
}
