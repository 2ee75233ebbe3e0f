using System.Globalization;
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
        var obj = JsonNode.Parse(stored)!.AsObject();
        ObjectJson.Metadata(obj)["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        // A custom resource is served in every version its definition serves, stored in whichever it was written in
        // (conversion None: only apiVersion differs).
        if (resource.Custom is not null)
            obj["apiVersion"] = resource.GroupVersion;
        return new CachedObject(key, revision, CachedJson.From(WireJson.Bytes(obj)),
            CompactMap.From(ObjectJson.Labels(obj)), CompactMap.From(SelectableFields.Of(resource, obj)));
    }

    public JsonObject Parse() => Json.Parse();
}
