using System.Text.Json.Nodes;

namespace Berth.Core.Patching;

/// <summary>JSON patch (RFC 6902) with JSON pointers (RFC 6901): add, remove, replace, move, copy, test.</summary>
public static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document.DeepClone() };
        foreach (var node in operations)
        {
            if (node is not JsonObject operation)
                throw new PatchException("each patch operation must be a JSON object");
            var op = Text(operation, "op");
            var path = Text(operation, "path");
            switch (op)
            {
                case "add":
                    Add(root, path, Value(operation));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, Value(operation));
                    break;
                case "move":
                {
                    var from = Text(operation, "from");
                    var moved = Get(root, from);
                    Remove(root, from);
                    Add(root, path, moved);
                    break;
                }
                case "copy":
                    Add(root, path, Get(root, Text(operation, "from")));
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), Value(operation)))
                        throw new PatchException($"testing value {path} failed");
                    break;
                default:
                    throw new PatchException($"Unexpected kind: {op}");
            }
        }
        return root["doc"]!.DeepClone();
    }

    private static string Text(JsonObject operation, string name) =>
        operation[name] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new PatchException($"operation is missing \"{name}\"");

    private static JsonNode? Value(JsonObject operation) =>
        operation.TryGetPropertyValue("value", out var value)
            ? value?.DeepClone()
            : throw new PatchException("operation is missing \"value\"");

    /// <summary>The pointer's segments, under the synthetic root property "doc".</summary>
    private static List<string> Segments(string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/')
            throw new PatchException($"JSON pointer \"{pointer}\" must start with '/'");
        var segments = new List<string> { "doc" };
        if (pointer.Length > 0)
            segments.AddRange(pointer[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)));
        return segments;
    }

    private static JsonNode? Get(JsonObject root, string pointer)
    {
        JsonNode? node = root;
        foreach (var segment in Segments(pointer))
            node = Child(node, segment, pointer) ?? (node is JsonObject o && o.ContainsKey(segment) ? null : throw Missing(pointer));
        return node?.DeepClone();
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value)
    {
        var segments = Segments(pointer);
        var parent = Parent(root, segments, pointer);
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array when last == "-":
                array.Add(value);
                break;
            case JsonArray array:
                var index = Index(last, array.Count + 1, pointer);
                array.Insert(index, value);
                break;
            default:
                throw Missing(pointer);
        }
    }

    private static void Remove(JsonObject root, string pointer)
    {
        var segments = Segments(pointer);
        var parent = Parent(root, segments, pointer);
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                obj.Remove(last);
                break;
            case JsonArray array:
                array.RemoveAt(Index(last, array.Count, pointer));
                break;
            default:
                throw Missing(pointer);
        }
    }

    private static JsonNode Parent(JsonObject root, List<string> segments, string pointer)
    {
        JsonNode? node = root;
        foreach (var segment in segments.Take(segments.Count - 1))
            node = Child(node, segment, pointer) ?? throw Missing(pointer);
        return node ?? throw Missing(pointer);
    }

    private static JsonNode? Child(JsonNode? node, string segment, string pointer) => node switch
    {
        JsonObject obj => obj[segment],
        JsonArray array => array[Index(segment, array.Count, pointer)],
        _ => throw Missing(pointer),
    };

    private static int Index(string segment, int count, string pointer) =>
        int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < count
            ? index
            : throw new PatchException($"array index \"{segment}\" in {pointer} is out of range");

    private static PatchException Missing(string pointer) =>
        new($"the path {pointer} does not exist in the object");
}
