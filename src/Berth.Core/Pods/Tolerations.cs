using System.Text.Json.Nodes;

namespace Berth.Core.Pods;

/// <summary>Whether a pod's tolerations tolerate a node's taint, by upstream's rules.</summary>
public static class Tolerations
{
    /// <summary>
    /// Some toleration matches the taint: the same effect (or none given), and the same key with
    /// <c>Equal</c> (the default) and the same value, or the key (or every key, when empty) with <c>Exists</c>.
    /// </summary>
    public static bool Tolerate(JsonArray? tolerations, JsonObject taint) =>
        (tolerations ?? []).OfType<JsonObject>().Any(t => Tolerates(t, taint));

    private static bool Tolerates(JsonObject toleration, JsonObject taint)
    {
        var effect = toleration["effect"]?.ToString() ?? "";
        if (effect.Length > 0 && effect != taint["effect"]?.ToString())
            return false;
        var key = toleration["key"]?.ToString() ?? "";
        if (key.Length > 0 && key != taint["key"]?.ToString())
            return false;
        return (toleration["operator"]?.ToString() ?? "Equal") switch
        {
            "Exists" => true,
            "Equal" => key.Length > 0 && (toleration["value"]?.ToString() ?? "") == (taint["value"]?.ToString() ?? ""),
            _ => false,
        };
    }
}
