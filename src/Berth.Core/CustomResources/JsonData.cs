using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Core.CustomResources;

/// <summary>The OpenAPI type of a JSON value.</summary>
internal enum JsonType
{
    Null,
    Boolean,
    String,
    Integer,
    Number,
    Array,
    Object,
}

/// <summary>
/// JSON values typed as upstream's decoder types them: a number whose literal is a 64-bit integer is an integer
/// (<c>1</c>), any other number is a float (<c>1.0</c>, <c>1e3</c>), and the validators treat the two differently.
/// </summary>
internal static class JsonData
{
    public static JsonType TypeOf(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => JsonType.Null,
        JsonValueKind.True or JsonValueKind.False => JsonType.Boolean,
        JsonValueKind.String => JsonType.String,
        JsonValueKind.Number => TryGetInteger(node, out _) ? JsonType.Integer : JsonType.Number,
        JsonValueKind.Array => JsonType.Array,
        _ => JsonType.Object,
    };

    /// <summary>The OpenAPI name of a type, as the type errors print it.</summary>
    public static string Name(JsonType type) => type switch
    {
        JsonType.Null => "null",
        JsonType.Boolean => "boolean",
        JsonType.String => "string",
        JsonType.Integer => "integer",
        JsonType.Number => "number",
        JsonType.Array => "array",
        _ => "object",
    };

    public static bool TryGetInteger(JsonNode node, out long value) =>
        long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static double GetDouble(JsonNode node) =>
        double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether a float counts as a whole number, as go-openapi decides it: within JSON's safe integers (±(2^53-1)) and
    /// within a relative 1e-9 of its rounding, so that float noise such as 0.3 / 0.1 does not fail multipleOf.
    /// </summary>
    public static bool IsWholeNumber(double value)
    {
        if (!double.IsFinite(value) || Math.Abs(value) > 9007199254740991d)
            return false;
        var rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        return value == rounded || (rounded != 0 && Math.Abs(value - rounded) < 1e-9 * Math.Abs(rounded));
    }

    /// <summary>Deep equality in which numbers compare by value (<c>1</c> equals <c>1.0</c>), as enum checks compare.</summary>
    public static bool ValueEquals(JsonNode? a, JsonNode? b)
    {
        var (typeA, typeB) = (TypeOf(a), TypeOf(b));
        if (typeA is JsonType.Integer or JsonType.Number && typeB is JsonType.Integer or JsonType.Number)
        {
            return typeA == JsonType.Integer && typeB == JsonType.Integer
                ? GetInteger(a!) == GetInteger(b!)
                : GetDouble(a!) == GetDouble(b!);
        }
        return typeA == typeB && typeA switch
        {
            JsonType.Null => true,
            JsonType.Array => a!.AsArray().Count == b!.AsArray().Count && a.AsArray().Zip(b.AsArray()).All(p => ValueEquals(p.First, p.Second)),
            JsonType.Object => a!.AsObject().Count == b!.AsObject().Count
                && a.AsObject().All(p => b.AsObject().TryGetPropertyValue(p.Key, out var other) && ValueEquals(p.Value, other)),
            _ => JsonNode.DeepEquals(a, b),
        };
    }

    private static long GetInteger(JsonNode node) => TryGetInteger(node, out var value) ? value : 0;
}
