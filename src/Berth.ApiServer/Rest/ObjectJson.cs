using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Rest;

/// <summary>Reading and writing the parts of an object's JSON that the API machinery owns: metadata above all.</summary>
internal static class ObjectJson
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
            return metadata;
        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string? GetString(JsonObject obj, string property) =>
        obj[property] is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static string? Name(JsonObject obj) => GetString(Metadata(obj), "name");

    public static string? Namespace(JsonObject obj) => GetString(Metadata(obj), "namespace");

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) => StringMap(Metadata(obj)["labels"]);

    public static IReadOnlyList<string> Finalizers(JsonObject obj) =>
        Metadata(obj)["finalizers"] is JsonArray array
            ? [.. array.Select(f => f?.GetValueKind() == JsonValueKind.String ? f.GetValue<string>() : "").Where(f => f.Length > 0)]
            : [];

    public static void SetFinalizers(JsonObject obj, IReadOnlyList<string> finalizers)
    {
        if (finalizers.Count == 0)
            Metadata(obj).Remove("finalizers");
        else
            Metadata(obj)["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f))]);
    }

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node)
    {
        if (node is not JsonObject map)
            return new Dictionary<string, string>();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var s))
                result[key] = s;
        }
        return result;
    }


    public static byte[] ToBytes(JsonNode node) => WireJson.Bytes(node);

    /// <summary>Parses stored bytes back into an object and stamps it with its resourceVersion (the store's mod revision).</summary>
    public static JsonObject FromStored(ReadOnlySpan<byte> value, long resourceVersion)
    {
        var obj = JsonNode.Parse(value)!.AsObject();
        Metadata(obj)["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return obj;
    }

    /// <summary>
    /// Stored bytes with their resourceVersion spliced in as the first member of metadata (the store never holds one),
    /// which is cheaper than parsing and writing them again; null when they have no metadata or already a
    /// resourceVersion.
    /// </summary>
    public static byte[]? WithResourceVersion(ReadOnlySpan<byte> stored, long revision)
    {
        if (MetadataStart(stored) is not (var at, var empty))
            return null;
        Span<byte> member = stackalloc byte[MaxMemberLength];
        member = member[..Member(member, revision, empty)];
        var json = new byte[stored.Length + member.Length];
        stored[..at].CopyTo(json);
        member.CopyTo(json.AsSpan(at));
        stored[at..].CopyTo(json.AsSpan(at + member.Length));
        return json;
    }

    /// <summary>
    /// Writes <see cref="WithResourceVersion"/> to <paramref name="writer"/> (an answer's body) without making it whole
    /// first; false, having written nothing, when it cannot.
    /// </summary>
    public static bool WriteWithResourceVersion(IBufferWriter<byte> writer, ReadOnlySpan<byte> stored, long revision)
    {
        if (MetadataStart(stored) is not (var at, var empty))
            return false;
        Span<byte> member = stackalloc byte[MaxMemberLength];
        writer.Write(stored[..at]);
        writer.Write(member[..Member(member, revision, empty)]);
        writer.Write(stored[at..]);
        return true;
    }

    /// <summary>Writes <c>"resourceVersion":"N"</c>, and a comma unless metadata is otherwise empty; returns the length.</summary>
    private static int Member(Span<byte> member, long revision, bool empty)
    {
        "\"resourceVersion\":\""u8.CopyTo(member);
        Utf8Formatter.TryFormat(revision, member[MemberPrefix..], out var digits);
        var length = MemberPrefix + digits;
        member[length++] = (byte)'"';
        if (!empty)
            member[length++] = (byte)',';
        return length;
    }

    /// <summary>The length of <c>"resourceVersion":"</c>, and of the whole member with the longest revision and a comma.</summary>
    private const int MemberPrefix = 19;
    private const int MaxMemberLength = MemberPrefix + 20 + 2;

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

    /// <summary>The bytes to store: the object without its resourceVersion, which the store's revision provides.</summary>
    public static byte[] ToStored(JsonObject obj)
    {
        var metadata = Metadata(obj);
        var resourceVersion = metadata["resourceVersion"];
        metadata.Remove("resourceVersion");
        try
        {
            return ToBytes(obj);
        }
        finally
        {
            if (resourceVersion is not null)
                metadata["resourceVersion"] = resourceVersion;
        }
    }
}
