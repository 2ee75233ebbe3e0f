using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Core.Pods;

/// <summary>
/// One toleration of a pod: it matches a taint with the same effect (or any, when it names none), and the same key
/// with <c>Equal</c> (the default) and the same value, or the key (or every key, when empty) with <c>Exists</c>.
/// <see cref="Seconds"/> is how long it tolerates a NoExecute taint; null is for ever.
/// </summary>
public sealed record Toleration(string Key, string Operator, string Value, string Effect, long? Seconds)
{
    public bool Tolerates(Taint taint) => Tolerates(taint.Key, taint.Value, taint.Effect);

    public bool Tolerates(string taintKey, string taintValue, string taintEffect)
    {
        if (Effect.Length > 0 && Effect != taintEffect)
            return false;
        if (Key.Length > 0 && Key != taintKey)
            return false;
        return Operator switch
        {
            "Exists" => true,
            "Equal" or "" => Key.Length > 0 && Value == taintValue,
            _ => false,
        };
    }

    public static Toleration Read(JsonObject toleration) => new(
        toleration["key"]?.ToString() ?? "",
        toleration["operator"]?.ToString() ?? "Equal",
        toleration["value"]?.ToString() ?? "",
        toleration["effect"]?.ToString() ?? "",
        toleration["tolerationSeconds"] is JsonValue seconds && seconds.TryGetValue<long>(out var s) ? s : null);

    public static Toleration Read(JsonElement toleration)
    {
        string Text(string name) => toleration.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var op = Text("operator");
        return new Toleration(Text("key"), op.Length > 0 ? op : "Equal", Text("value"), Text("effect"),
            toleration.TryGetProperty("tolerationSeconds", out var seconds) && seconds.ValueKind == JsonValueKind.Number ? seconds.GetInt64() : null);
    }
}

/// <summary>Whether a pod's tolerations tolerate a node's taint, by upstream's rules.</summary>
public static class Tolerations
{
    /// <summary>Some toleration in <paramref name="tolerations"/> matches the taint (see <see cref="Toleration"/>).</summary>
    public static bool Tolerate(JsonArray? tolerations, JsonObject taint) => Tolerate(ReadAll(tolerations), Taint.Read(taint));

    /// <summary>Some toleration in <paramref name="tolerations"/> matches the taint.</summary>
    public static bool Tolerate(IReadOnlyList<Toleration> tolerations, Taint taint)
    {
        for (var i = 0; i < tolerations.Count; i++)
        {
            if (tolerations[i].Tolerates(taint))
                return true;
        }
        return false;
    }

    /// <summary>A pod's <c>spec.tolerations</c>, read.</summary>
    public static Toleration[] ReadAll(JsonArray? tolerations) => [.. (tolerations ?? []).OfType<JsonObject>().Select(Toleration.Read)];
}
