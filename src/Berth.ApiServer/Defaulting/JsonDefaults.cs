using System.Text.Json.Nodes;

namespace Berth.ApiServer.Defaulting;

/// <summary>The few moves every defaulting rule is made of.</summary>
internal static class JsonDefaults
{
    /// <summary>Sets <paramref name="key"/> unless the object has it.</summary>
    public static void Default(this JsonObject obj, string key, JsonNode? value)
    {
        if (obj[key] is null)
            obj[key] = value;
    }

    /// <summary>The object under <paramref name="key"/>, made empty first when missing.</summary>
    public static JsonObject Child(this JsonObject obj, string key)
    {
        if (obj[key] is JsonObject child)
            return child;
        child = [];
        obj[key] = child;
        return child;
    }

    /// <summary>The object under <paramref name="key"/>, or null.</summary>
    public static JsonObject? Existing(this JsonObject obj, string key) => obj[key] as JsonObject;

    /// <summary>The objects in the list under <paramref name="key"/> (none when there is no list).</summary>
    public static IEnumerable<JsonObject> Items(this JsonObject obj, string key) =>
        (obj[key] as JsonArray ?? []).OfType<JsonObject>();
}
