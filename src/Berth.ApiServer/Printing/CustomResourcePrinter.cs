using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;

namespace Berth.ApiServer.Printing;

/// <summary>
/// How custom resources print: Name, then the definition's <c>additionalPrinterColumns</c> (Age when it names none),
/// each cell read by its JSONPath; dates print as ages, as upstream's table converter does.
/// </summary>
internal static class CustomResourcePrinter
{
    private static readonly JsonObject DefaultAge = new()
    {
        ["name"] = "Age",
        ["type"] = "date",
        ["jsonPath"] = ".metadata.creationTimestamp",
    };

    public static Printer For(CustomResourceVersion custom)
    {
        var declared = (custom.Version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var columns = declared.Count > 0 ? declared : [DefaultAge];
        return new Printer(
            [TableColumn.NameColumn, .. columns.Select(c => new TableColumn(
                Text(c, "name"), Text(c, "type") is { Length: > 0 } type ? type : "string", Text(c, "description"),
                c["priority"] is JsonValue p && p.TryGetValue<int>(out var priority) ? priority : 0, Text(c, "format")))],
            (obj, now) => [Fields.Name(obj), .. columns.Select(c => Cell(obj, c, now))]);
    }

    private static JsonNode? Cell(JsonObject obj, JsonObject column, DateTimeOffset now)
    {
        var value = Select(obj, Text(column, "jsonPath"));
        if (value is null)
            return null;
        return Text(column, "type") switch
        {
            "date" when value is JsonValue v && v.TryGetValue<string>(out var s) =>
                Fields.Since(Fields.Time(new JsonObject { ["t"] = s }, "t"), now),
            "integer" or "number" or "boolean" when value is JsonValue => value.DeepClone(),
            _ => value is JsonValue text && text.GetValueKind() == JsonValueKind.String ? text.GetValue<string>() : value.ToJsonString(),
        };
    }

    /// <summary>
    /// A simple JSONPath (<c>.spec.replicas</c>, <c>.status.conditions[0].type</c>, with or without braces); what it
    /// does not name is null.
    /// </summary>
    private static JsonNode? Select(JsonNode? node, string path)
    {
        var trimmed = path.Trim().TrimStart('{').TrimEnd('}').TrimStart('.');
        foreach (var part in trimmed.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? part : part[..bracket];
            if (name.Length > 0)
                node = node is JsonObject o ? o[name] : null;
            var close = bracket < 0 ? -1 : part.IndexOf(']', bracket);
            if (close > bracket && int.TryParse(part[(bracket + 1)..close], out var index))
                node = node is JsonArray a && index >= 0 && index < a.Count ? a[index] : null;
        }
        return node;
    }

    private static string Text(JsonObject obj, string field) => ObjectJson.GetString(obj, field) ?? "";
}
