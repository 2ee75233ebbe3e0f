using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Protobuf;

/// <summary>
/// Turns a Kubernetes protobuf message into the JSON object the same Go value would marshal to: field names from
/// the schema, special types (Time, Quantity, IntOrString, ...) in their JSON forms, zero values of non-pointer
/// scalars left out (Go always writes them on the wire, but they carry no information).
/// </summary>
internal sealed class ProtobufDecoder(WireSchema schema)
{
    private const int MaxDepth = 64;

    public JsonObject Decode(ReadOnlySpan<byte> data, string messageType) => DecodeMessage(data, messageType, 0);

    private JsonObject DecodeMessage(ReadOnlySpan<byte> data, string messageType, int depth)
    {
        if (depth > MaxDepth)
            throw new FormatException("the message nests too deeply");
        var fields = schema.Message(messageType)
            ?? throw new UnsupportedWireMessageException($"decoding {messageType} from protobuf is not supported; send it as JSON");
        var obj = new JsonObject();
        var reader = new WireReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (!fields.TryGetValue(number, out var field))
            {
                reader.Skip(wireType);
                continue;
            }

            if (field.Type == "map")
            {
                var map = obj[field.Name] as JsonObject ?? [];
                obj[field.Name] = map;
                var (key, value) = DecodeMapEntry(reader.ReadLengthDelimited(), field.MapValue!, depth);
                map[key] = value;
                continue;
            }

            var node = DecodeValue(ref reader, wireType, field.Type, depth);
            if (field.Repeated)
            {
                var array = obj[field.Name] as JsonArray ?? [];
                obj[field.Name] = array;
                array.Add(node);
            }
            else if (field.Inline && node is JsonObject inlined)
            {
                foreach (var (name, value) in inlined.ToList())
                {
                    inlined.Remove(name);
                    obj[name] = value;
                }
            }
            else if (node is not null && (field.Pointer || !IsZero(node)))
            {
                obj[field.Name] = node;
            }
            else
            {
                obj.Remove(field.Name);
            }
        }
        return obj;
    }

    private (string Key, JsonNode? Value) DecodeMapEntry(ReadOnlySpan<byte> entry, string valueType, int depth)
    {
        var reader = new WireReader(entry);
        var key = "";
        JsonNode? value = valueType == "string" ? "" : null;
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1)
                key = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            else if (number == 2)
                value = DecodeValue(ref reader, wireType, valueType, depth);
            else
                reader.Skip(wireType);
        }
        return (key, value ?? (valueType == "bytes" ? "" : null));
    }

    private JsonNode? DecodeValue(ref WireReader reader, int wireType, string type, int depth)
    {
        switch (type)
        {
            case "string":
                return Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            case "bytes":
                return Convert.ToBase64String(reader.ReadLengthDelimited());
            case "int64":
                return (long)reader.ReadVarint();
            case "int32":
                return (int)(long)reader.ReadVarint();
            case "bool":
                return reader.ReadVarint() != 0;
            case "double":
                return BitConverter.UInt64BitsToDouble(reader.ReadFixed64());
        }
        if (wireType != WireReader.LengthDelimited)
            throw new FormatException($"{type} arrived with wire type {wireType}, not as a message");
        var data = reader.ReadLengthDelimited();
        if (type is "runtime.RawExtension")
            return RawJson(data);
        var message = DecodeMessage(data, type, depth + 1);
        return type switch
        {
            "meta.v1.Time" => Time(message, micro: false),
            "meta.v1.MicroTime" => Time(message, micro: true),
            "resource.Quantity" => Text(message, "string") is { Length: > 0 } quantity ? quantity : "0",
            "intstr.IntOrString" => Number(message, "type") == 1 ? Text(message, "strVal") : Number(message, "intVal"),
            "meta.v1.Duration" => Duration(Number(message, "duration")),
            "meta.v1.FieldsV1" => Text(message, "Raw") is { Length: > 0 } raw ? JsonNode.Parse(Convert.FromBase64String(raw)) : null,
            _ => message,
        };
    }

    private static bool IsZero(JsonNode node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
        JsonValue v when v.TryGetValue<long>(out var l) => l == 0,
        JsonValue v when v.TryGetValue<int>(out var i) => i == 0,
        JsonValue v when v.TryGetValue<bool>(out var b) => !b,
        JsonValue v when v.TryGetValue<double>(out var d) => d == 0,
        _ => false,
    };

    // The special types arrive decoded by the schema, zero fields left out; these turn them into their JSON forms.

    private static string Text(JsonObject message, string field) => message[field]?.GetValue<string>() ?? "";

    private static long Number(JsonObject message, string field) => message[field] switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        _ => 0,
    };

    /// <summary>Seconds since the epoch; a zero time is left out, as Go's JSON writes it as null.</summary>
    private static JsonNode? Time(JsonObject message, bool micro)
    {
        var (seconds, nanos) = (Number(message, "seconds"), Number(message, "nanos"));
        if (seconds == 0 && nanos == 0)
            return null;
        var time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
        return micro ? WireTime.MicroTime(time) : WireTime.Time(time);
    }

    /// <summary>Nanoseconds, written the way Go prints a duration: 1h2m3s, 1.5s, 0s.</summary>
    private static JsonNode Duration(long nanoseconds)
    {
        var span = TimeSpan.FromTicks(nanoseconds / 100);
        if (span == TimeSpan.Zero)
            return "0s";
        var text = new StringBuilder();
        if (span.TotalHours >= 1)
            text.Append(CultureInfo.InvariantCulture, $"{(long)span.TotalHours}h");
        if (span.TotalMinutes >= 1)
            text.Append(CultureInfo.InvariantCulture, $"{span.Minutes}m");
        var seconds = span.Seconds + span.Milliseconds / 1000.0;
        text.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }

    private static JsonNode? RawJson(ReadOnlySpan<byte> data)
    {
        var reader = new WireReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1)
            {
                var raw = reader.ReadLengthDelimited();
                return raw.IsEmpty ? null : JsonNode.Parse(raw);
            }
            reader.Skip(wireType);
        }
        return null;
    }
}
