using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;

namespace Berth.ApiServer.Printing;

/// <summary>Reading printable values out of an object's JSON, with upstream's placeholders for what is missing.</summary>
internal static class Fields
{
    public const string None = "<none>";

    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
            node = node is JsonObject o ? o[part] : null;
        return node;
    }

    public static string Text(JsonNode? node, string path, string missing = "") =>
        At(node, path) is JsonValue v ? v.ToString() : missing;

    public static long Number(JsonNode? node, string path) =>
        At(node, path) is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    public static JsonArray Array(JsonNode? node, string path) => At(node, path) as JsonArray ?? [];

    public static int Count(JsonNode? node, string path) => At(node, path) switch
    {
        JsonArray a => a.Count,
        JsonObject o => o.Count,
        _ => 0,
    };

    public static DateTimeOffset? Time(JsonNode? node, string path) =>
        At(node, path) is JsonValue v && v.TryGetValue<string>(out var s) &&
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>The Age cell: the time since creation, or &lt;unknown&gt;.</summary>
    public static string Age(JsonObject obj, DateTimeOffset now) => Since(Time(obj, "metadata.creationTimestamp"), now);

    public static string Since(DateTimeOffset? time, DateTimeOffset now) =>
        time is { } t ? HumanDuration.Format(now - t) : "<unknown>";

    public static string Name(JsonObject obj) => ObjectJson.Name(obj) ?? "";

    /// <summary>A label selector printed as <c>a=b,c in (d)</c>, or &lt;none&gt;.</summary>
    public static string Selector(JsonNode? selector)
    {
        if (selector is not JsonObject s)
            return None;
        var parts = new List<string>();
        if (s["matchLabels"] is JsonObject labels)
            parts.AddRange(labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        foreach (var e in Array(s, "matchExpressions").OfType<JsonObject>())
        {
            var values = string.Join(",", Array(e, "values").Select(v => v?.ToString()));
            parts.Add(Text(e, "operator") switch
            {
                "In" => $"{Text(e, "key")} in ({values})",
                "NotIn" => $"{Text(e, "key")} notin ({values})",
                "Exists" => Text(e, "key"),
                "DoesNotExist" => "!" + Text(e, "key"),
                _ => $"{Text(e, "key")} {Text(e, "operator")} ({values})",
            });
        }
        return parts.Count == 0 ? None : string.Join(",", parts);
    }

    /// <summary>A plain map selector (services) printed as <c>a=b,c=d</c>.</summary>
    public static string MapSelector(JsonNode? map) =>
        map is JsonObject { Count: > 0 } m ? string.Join(",", m.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) : None;

    public static string Containers(JsonNode? podSpec) =>
        string.Join(",", Array(podSpec, "containers").Select(c => Text(c, "name")));

    public static string Images(JsonNode? podSpec) =>
        string.Join(",", Array(podSpec, "containers").Select(c => Text(c, "image")));

    public static string OrNone(string value) => value.Length == 0 ? None : value;
}
