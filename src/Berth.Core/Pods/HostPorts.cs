using System.Text.Json.Nodes;

namespace Berth.Core.Pods;

/// <summary>A host port a pod's container claims: protocol, host address (empty: all) and port.</summary>
public readonly record struct HostPort(string Protocol, string HostIp, int Port)
{
    /// <summary>The host ports of a pod's containers and sidecars.</summary>
    public static IEnumerable<HostPort> Of(JsonObject podSpec) =>
        (podSpec["containers"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat((podSpec["initContainers"] as JsonArray ?? []).OfType<JsonObject>().Where(c => c["restartPolicy"]?.ToString() == "Always"))
            .SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
            .Where(p => p["hostPort"] is JsonValue v && v.TryGetValue<int>(out var port) && port > 0)
            .Select(p => new HostPort(p["protocol"]?.ToString() ?? "TCP", p["hostIP"]?.ToString() ?? "", p["hostPort"]!.GetValue<int>()));

    /// <summary>Two claims collide on the same port and protocol unless both name different specific addresses.</summary>
    public bool CollidesWith(HostPort other) =>
        Port == other.Port && Protocol == other.Protocol && (Wildcard(HostIp) || Wildcard(other.HostIp) || HostIp == other.HostIp);

    private static bool Wildcard(string ip) => ip is "" or "0.0.0.0" or "::";
}
