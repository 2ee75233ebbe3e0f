using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Validation;

/// <summary>
/// Integers in objects from any source: a value parsed from JSON and one built in code (a protobuf body, a default)
/// hold different CLR types, and <c>JsonValue.TryGetValue&lt;long&gt;</c> succeeds only for some of them.
/// </summary>
internal static class JsonNumbers
{
    public static long? Integer(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number &&
        long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
}
