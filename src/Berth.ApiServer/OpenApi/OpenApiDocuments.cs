using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI v3 documents: an index of group-versions, and per group-version the schemas of its kinds (with
/// <c>x-kubernetes-group-version-kind</c>) and a PATCH operation per resource naming the patch types and the
/// <c>fieldValidation</c> parameter, which is how kubectl learns what the server supports. Built on first use and
/// kept as bytes with their hash (uppercase hex SHA-512, as upstream's <c>?hash=</c>).
/// </summary>
internal sealed class OpenApiDocuments(ResourceTable table)
{
    private static readonly string[] PatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

    private readonly Lazy<(byte[] Index, Dictionary<string, (byte[] Json, string Hash)> Documents)> _built = new(() => Build(table));

    public byte[] Index => _built.Value.Index;

    /// <summary>The document of <c>api/v1</c> or <c>apis/{group}/{version}</c>, with its hash.</summary>
    public (byte[] Json, string Hash)? Document(string groupVersionPath) =>
        _built.Value.Documents.TryGetValue(groupVersionPath, out var document) ? document : null;

    private static (byte[], Dictionary<string, (byte[], string)>) Build(ResourceTable table)
    {
        var docs = ModelDocs.Load();
        var documents = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        var index = new JsonObject();
        foreach (var groupVersion in table.All.GroupBy(r => r.GroupVersion))
        {
            var generator = new SchemaGenerator(docs);
            var paths = new JsonObject();
            foreach (var resource in groupVersion)
            {
                if (ModelTypes.For(resource) is not { } type)
                    continue;
                generator.AddKind(type, resource.Group, resource.Version, resource.Kind);
                paths[ObjectPath(resource)] = new JsonObject { ["patch"] = PatchOperation(resource, SchemaGenerator.Name(type)) };
            }
            var document = new JsonObject
            {
                ["openapi"] = "3.0.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.33.0-berth" },
                ["paths"] = paths,
                ["components"] = new JsonObject { ["schemas"] = generator.Schemas },
            };
            var json = JsonSerializer.SerializeToUtf8Bytes(document);
            var hash = Convert.ToHexString(SHA512.HashData(json));
            var key = groupVersion.First().Group.Length == 0 ? $"api/{groupVersion.Key}" : $"apis/{groupVersion.Key}";
            documents[key] = (json, hash);
            index[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }
        var built = (JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["paths"] = index }), documents);
        // Building reads 20 MB of documentation and walks hundreds of types once; hand that memory back now
        // rather than keep it as heap the server will not need again.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return built;
    }

    private static string ObjectPath(ResourceInfo resource)
    {
        var root = resource.Group.Length == 0 ? $"/api/{resource.Version}" : $"/apis/{resource.Group}/{resource.Version}";
        return resource.Namespaced ? $"{root}/namespaces/{{namespace}}/{resource.Plural}/{{name}}" : $"{root}/{resource.Plural}/{{name}}";
    }

    private static JsonObject PatchOperation(ResourceInfo resource, string schema) => new()
    {
        ["description"] = $"partially update the specified {resource.Kind}",
        ["operationId"] = $"patch{resource.Kind}",
        ["parameters"] = new JsonArray(
            Query("dryRun", "When present, indicates that modifications should not be persisted."),
            Query("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
            Query("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Strict - Warn"),
            Query("force", "Force is going to \"force\" Apply requests.", "boolean")),
        ["requestBody"] = new JsonObject
        {
            ["content"] = new JsonObject(PatchTypes.Select(t => KeyValuePair.Create(t, (JsonNode?)new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } }))),
            ["required"] = true,
        },
        ["responses"] = new JsonObject
        {
            ["200"] = new JsonObject
            {
                ["description"] = "OK",
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + schema } } },
            },
        },
        ["x-kubernetes-action"] = "patch",
        ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = resource.Group, ["kind"] = resource.Kind, ["version"] = resource.Version },
    };

    private static JsonObject Query(string name, string description, string type = "string") => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["description"] = description,
        ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true },
    };
}
