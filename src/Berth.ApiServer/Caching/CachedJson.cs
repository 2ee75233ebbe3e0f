using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Caching;

/// <summary>
/// An object's serialized JSON as the watch cache keeps it: in segments, where each managedFields entry's
/// <c>fieldsV1</c> is shared with every other cached object that has the same one. Objects made from one template
/// by one controller own identical field sets, which would otherwise be half of each object's bytes.
/// </summary>
internal sealed class CachedJson
{
    /// <summary>Field sets smaller than this are kept inline: sharing them would save less than it costs.</summary>
    private const int SharedMinimum = 256;

    private static readonly byte[] FieldsV1 = "fieldsV1"u8.ToArray();
    private static readonly byte[] ManagedFields = "\"managedFields\""u8.ToArray();

    private readonly byte[][] _segments;

    private CachedJson(byte[][] segments, int length)
    {
        _segments = segments;
        Length = length;
    }

    public int Length { get; }

    /// <summary>Splits <paramref name="json"/> around its field sets and shares them.</summary>
    public static CachedJson From(byte[] json)
    {
        if (json.AsSpan().IndexOf(ManagedFields) < 0)
            return new CachedJson([json], json.Length);
        var segments = new List<byte[]>();
        var start = 0;
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals(FieldsV1))
                continue;
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            reader.Skip();
            var valueEnd = (int)reader.BytesConsumed;
            if (valueEnd - valueStart < SharedMinimum)
                continue;
            segments.Add(json[start..valueStart]);
            segments.Add(SharedSegments.Intern(json.AsSpan(valueStart, valueEnd - valueStart)));
            start = valueEnd;
        }
        if (segments.Count == 0)
            return new CachedJson([json], json.Length);
        segments.Add(json[start..]);
        return new CachedJson([.. segments], json.Length);
    }

    /// <summary>Copies the bytes into <paramref name="destination"/>, segment by segment.</summary>
    public void CopyTo(IBufferWriter<byte> destination)
    {
        foreach (var segment in _segments)
            destination.Write(segment);
    }

    /// <summary>Writes the bytes as one JSON value of <paramref name="writer"/> (through a pooled buffer when segmented).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        if (_segments.Length == 1)
        {
            writer.WriteRawValue(_segments[0], skipInputValidation: true);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Length);
        try
        {
            writer.WriteRawValue(Join(buffer), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public JsonObject Parse()
    {
        if (_segments.Length == 1)
            return JsonNode.Parse(_segments[0])!.AsObject();
        var buffer = new byte[Length];
        Join(buffer);
        return JsonNode.Parse(buffer)!.AsObject();
    }

    private ReadOnlySpan<byte> Join(byte[] buffer)
    {
        var at = 0;
        foreach (var segment in _segments)
        {
            segment.CopyTo(buffer, at);
            at += segment.Length;
        }
        return buffer.AsSpan(0, Length);
    }
}
