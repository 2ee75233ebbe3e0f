using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Discovery;
using Berth.Core.Resources;
using Berth.Core.Serialization;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI v3 documents: an index of group-versions, and per group-version the schemas of its kinds (with
/// <c>x-kubernetes-group-version-kind</c>) and a PATCH operation per resource naming the patch types and the
/// <c>fieldValidation</c> parameter, which is how kubectl learns what the server supports. Built on first use and
/// kept as bytes with their hash (uppercase hex SHA-512, as upstream's <c>?hash=</c>); custom resources' documents
/// are made from their definitions' schemas whenever the served resources change.
/// </summary>
internal sealed class OpenApiDocuments(ResourceTable builtIn, ServedResources served)
{
    private static readonly string[] PatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml", "application/strategic-merge-patch+json"];

    /// <summary>Custom resources have no strategic merge patch, so kubectl's client-side apply sends them merge patches.</summary>
    private static readonly string[] CustomPatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

    private readonly Lazy<(JsonObject Index, Dictionary<string, (byte[] Json, string Hash)> Documents)> _built = new(() => Build(builtIn));
    private volatile Custom? _custom;

    public byte[] Index => Current().Index;

    /// <summary>The document of <c>api/v1</c> or <c>apis/{group}/{version}</c>, with its hash.</summary>
    public (byte[] Json, string Hash)? Document(string groupVersionPath) =>
        _built.Value.Documents.TryGetValue(groupVersionPath, out var document) ? document
        : Current().Documents.TryGetValue(groupVersionPath, out var custom) ? custom : null;

    /// <summary>The documents of the custom resources served now, rebuilt when the served table changes.</summary>
    private Custom Current()
    {
        var table = served.Table;
        if (_custom is { } custom && ReferenceEquals(custom.Table, table))
            return custom;
        var (index, documents) = _built.Value;
        var core = JsonNode.Parse(documents["api/v1"].Json)!.AsObject();
        var customDocuments = CustomResourceSchemas.Documents(table.All.Where(r => r.Custom is not null), core,
            (resource, schema) => PatchOperation(resource, schema, CustomPatchTypes));
        var allIndex = index.DeepClone().AsObject();
        foreach (var (key, (_, hash)) in customDocuments)
            allIndex[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        custom = new Custom(table, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["paths"] = allIndex }, NodeJsonContext.Default.JsonNode), customDocuments);
        _custom = custom;
        return custom;
    }

    private static (JsonObject, Dictionary<string, (byte[], string)>) Build(ResourceTable table)
    {
        var docs = ModelDocs.Load();
        var documents = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        var index = new JsonObject();
        // Computed views take no PATCH and have no schema to give.
        foreach (var groupVersion in table.All.Where(r => r.Stored).GroupBy(r => r.GroupVersion))
        {
            var generator = new SchemaGenerator(docs);
            var paths = new JsonObject();
            foreach (var resource in groupVersion)
            {
                if (ModelTypes.For(resource) is not { } type)
                    continue;
                generator.AddKind(type, resource.Group, resource.Version, resource.Kind);
                paths[ObjectPath(resource)] = new JsonObject { ["patch"] = PatchOperation(resource, SchemaGenerator.Name(type), PatchTypes) };
            }
            var key = groupVersion.First().Group.Length == 0 ? $"api/{groupVersion.Key}" : $"apis/{groupVersion.Key}";
            documents[key] = Serialize(Document(paths, generator.Schemas));
            index[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={documents[key].Item2}" };
        }
        // Building reads 20 MB of documentation and walks hundreds of types once; hand that memory back now
        // rather than keep it as heap the server will not need again.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (index, documents);
    }

    /// <summary>A group-version's document: its PATCH paths and its schemas.</summary>
    public static JsonObject Document(JsonObject paths, JsonObject schemas) => new()
    {
        ["openapi"] = "3.0.0",
        ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.33.0-berth" },
        ["paths"] = paths,
        ["components"] = new JsonObject { ["schemas"] = schemas },
    };

    /// <summary>A document's bytes and their hash (uppercase hex SHA-512).</summary>
    public static (byte[] Json, string Hash) Serialize(JsonObject document)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(document, NodeJsonContext.Default.JsonNode);
        return (json, Convert.ToHexString(SHA512.HashData(json)));
    }

    /// <summary>The path of one object of <paramref name="resource"/>, as the documents key PATCH operations.</summary>
    public static string ObjectPath(ResourceInfo resource)
    {
        var root = resource.Group.Length == 0 ? $"/api/{resource.Version}" : $"/apis/{resource.Group}/{resource.Version}";
        return resource.Namespaced ? $"{root}/namespaces/{{namespace}}/{resource.Plural}/{{name}}" : $"{root}/{resource.Plural}/{{name}}";
    }

    private sealed record Custom(ResourceTable Table, byte[] Index, Dictionary<string, (byte[] Json, string Hash)> Documents);

    private static JsonObject PatchOperation(ResourceInfo resource, string schema, string[] patchTypes) => new()
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
            ["content"] = new JsonObject(patchTypes.Select(t => KeyValuePair.Create(t, (JsonNode?)new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } }))),
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
