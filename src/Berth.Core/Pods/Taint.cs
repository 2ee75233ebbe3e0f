using System.Text.Json.Nodes;

namespace Berth.Core.Pods;

/// <summary>A node's taint, read once so that matching it against tolerations costs no JSON lookups.</summary>
public sealed record Taint(string Key, string Value, string Effect)
{
    /// <summary>Whether the taint keeps off pods that do not tolerate it (NoSchedule or NoExecute).</summary>
    public bool KeepsOff => Effect is "NoSchedule" or "NoExecute";

    public static Taint Read(JsonObject taint) =>
        new(taint["key"]?.ToString() ?? "", taint["value"]?.ToString() ?? "", taint["effect"]?.ToString() ?? "");
}
