using System.Globalization;
using System.Text;
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
    /// The stored JSON with its resourceVersion: spliced in as the first member of metadata, which the store never
    /// holds one in. Parsed and written again only where more differs: a custom resource is served in every version
    /// its definition serves, stored in whichever it was written in (conversion None: only apiVersion differs).
    /// </summary>
    private static byte[] Stamped(ResourceInfo resource, ReadOnlySpan<byte> stored, long revision)
    {
        var version = revision.ToString(CultureInfo.InvariantCulture);
        if (resource.Custom is null && MetadataStart(stored) is (var at, var empty))
        {
            var member = Encoding.UTF8.GetBytes($"\"resourceVersion\":\"{version}\"");
            var json = new byte[stored.Length + member.Length + (empty ? 0 : 1)];
            stored[..at].CopyTo(json);
            member.CopyTo(json.AsSpan(at));
            if (!empty)
                json[at + member.Length] = (byte)',';
            stored[at..].CopyTo(json.AsSpan(json.Length - (stored.Length - at)));
            return json;
        }
        var node = JsonNode.Parse(stored)!.AsObject();
        ObjectJson.Metadata(node)["resourceVersion"] = version;
        if (resource.Custom is not null)
            node["apiVersion"] = resource.GroupVersion;
        return WireJson.Bytes(node);
    }

    /// <summary>
    /// Where the members of the object's metadata begin (just after its <c>{</c>) and whether it has none, if it has
    /// metadata and no resourceVersion in it.
    /// </summary>
    private static (int At, bool Empty)? MetadataStart(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            reader.Read();
            if (!isMetadata)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
                return null;
            var start = (int)reader.TokenStartIndex + 1;
            var empty = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resourceVersion"u8))
                    return null;
                empty = false;
                reader.Read();
                reader.Skip();
            }
            return (start, empty);
        }
        return null;
    }

    public JsonObject Parse() => Json.Parse();
}
