using System.Text.Json;

namespace Berth.Core.Serialization;

/// <summary>
/// Reading fields of watched objects without trusting their kinds (the proxy's, the cluster DNS's, the agent's service
/// links): a field that is missing or of another JSON kind than expected reads as absent, so that one odd field costs
/// that field, not the object or its reader.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "Each reader is named for the JSON kind it reads.")]
public static class JsonFields
{
    public static JsonElement Object(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    public static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static int? Int(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : null;

    public static bool? Bool(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    /// <summary>The items of an array field that are objects.</summary>
    public static IEnumerable<JsonElement> Objects(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object)
            : [];

    /// <summary>Whether the field is there with a value (not null).</summary>
    public static bool Has(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>An object field's string values by key (labels, annotations); values of other kinds are left out.</summary>
    public static Dictionary<string, string> StringMap(JsonElement obj, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var found = Object(obj, name);
        if (found.ValueKind != JsonValueKind.Object)
            return map;
        foreach (var entry in found.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.String)
                map[entry.Name] = entry.Value.GetString()!;
        }
        return map;
    }

    /// <summary>The items of an array field that are strings.</summary>
    public static IEnumerable<string> Strings(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!)
            : [];
}
