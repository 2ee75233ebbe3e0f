using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Validation;

namespace Berth.ApiServer.Services;

/// <summary>What a Service's spec says about the addresses and ports it needs, read from its JSON.</summary>
internal static class ServiceSpecs
{
    public const string None = "None";

    public static string Type(JsonObject spec) => Text(spec["type"]) is { Length: > 0 } type ? type : "ClusterIP";

    /// <summary>Every type but ExternalName has a cluster IP (or is headless).</summary>
    public static bool NeedsClusterIp(JsonObject spec) => Type(spec) != "ExternalName";

    public static bool NeedsNodePorts(JsonObject spec) => Type(spec) is "NodePort" or "LoadBalancer";

    /// <summary>Whether ports without a node port get one: NodePort always, LoadBalancer unless allocateLoadBalancerNodePorts is false.</summary>
    public static bool AllocatesNodePorts(JsonObject spec) =>
        Type(spec) == "NodePort" || (Type(spec) == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"]?.GetValueKind() != JsonValueKind.False);

    /// <summary>A LoadBalancer that keeps traffic on the node it arrives at has a health check node port.</summary>
    public static bool NeedsHealthCheckNodePort(JsonObject spec) => Type(spec) == "LoadBalancer" && Text(spec["externalTrafficPolicy"]) == "Local";

    public static string ClusterIp(JsonObject spec) => Text(spec["clusterIP"]) ?? "";

    public static IReadOnlyList<string> ClusterIps(JsonObject spec) =>
        spec["clusterIPs"] is JsonArray ips ? [.. ips.Select(ip => Text(ip) ?? "")] : [];

    /// <summary>Headless: clusterIP None, no address of its own.</summary>
    public static bool IsHeadless(JsonObject spec) => ClusterIp(spec) == None || ClusterIps(spec) is [None];

    public static long NodePort(JsonObject port) => JsonNumbers.Integer(port["nodePort"]) ?? 0;

    /// <summary>The node ports the Service's ports name, each once.</summary>
    public static IReadOnlyList<long> NodePorts(JsonObject spec) =>
        [.. Ports(spec).Select(NodePort).Where(p => p != 0).Distinct()];

    public static long HealthCheckNodePort(JsonObject spec) => JsonNumbers.Integer(spec["healthCheckNodePort"]) ?? 0;

    public static List<JsonObject> Ports(JsonObject spec) => [.. (spec["ports"] as JsonArray ?? []).OfType<JsonObject>()];

    /// <summary>A list of strings as Go's %#v prints it in field errors: <c>[]string{"10.43.0.5"}</c>.</summary>
    public static string GoStrings(IReadOnlyList<string> values) =>
        values.Count == 0 ? "[]string(nil)" : $"[]string{{{string.Join(", ", values.Select(v => $"\"{v}\""))}}}";

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
