using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Caching;

/// <summary>
/// One version of an object as the watch cache keeps it: its JSON with the resourceVersion filled in, serialized
/// once and written as-is to every list and watch, plus what selectors need (labels and selectable fields).
/// </summary>
internal sealed class CachedObject
{
    private CachedObject(string key, long revision, CachedJson json, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> fields)
    {
        Key = key;
        Revision = revision;
        Json = json;
        Labels = labels;
        Fields = fields;
    }

    public string Key { get; }

    /// <summary>The object's resourceVersion: its modification revision (for a deletion, the deleting revision).</summary>
    public long Revision { get; }

    public CachedJson Json { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>Builds the cached form from stored bytes, stamping <paramref name="revision"/> as its resourceVersion.</summary>
    public static CachedObject From(ResourceInfo resource, string key, ReadOnlySpan<byte> stored, long revision)
    {
        using var document = JsonDocument.Parse(stored.ToArray());
        var obj = document.RootElement;
        var metadata = obj.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        var labels = JsonFields.StringMap(metadata, "labels");
        return new CachedObject(key, revision, CachedJson.From(Stamped(resource, stored, revision)), CompactMap.From(labels),
            CompactMap.From(SelectableFields.Of(resource, obj)));
    }

    /// <summary>
    /// The stored JSON with its resourceVersion, spliced in where it can be; parsed and written again only where more
    /// differs: a custom resource is served in every version its definition serves, stored in whichever it was written
    /// in (conversion None: only apiVersion differs).
    /// </summary>
    private static byte[] Stamped(ResourceInfo resource, ReadOnlySpan<byte> stored, long revision)
    {
        if (resource.Custom is null && ObjectJson.WithResourceVersion(stored, revision) is { } json)
            return json;
        var node = JsonNode.Parse(stored)!.AsObject();
        ObjectJson.Metadata(node)["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        if (resource.Custom is not null)
            node["apiVersion"] = resource.GroupVersion;
        return WireJson.Bytes(node);
    }

    public JsonObject Parse() => Json.Parse();
}
