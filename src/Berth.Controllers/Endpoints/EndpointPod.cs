using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Controllers.Endpoints;

/// <summary>What the endpoints controller keeps of a pod: its address, readiness, node, named ports, hostname and subdomain.</summary>
internal sealed record EndpointPod(
    string Namespace,
    string Name,
    string Uid,
    IReadOnlyDictionary<string, string> Labels,
    string Ip,
    string NodeName,
    bool Ready,
    bool Terminating,
    bool Finished,
    string Hostname,
    string Subdomain,
    IReadOnlyList<(string Name, int Port, string Protocol)> Ports)
{
    public static EndpointPod Read(JsonElement element)
    {
        var pod = JsonNode.Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))!.AsObject();
        var metadata = pod["metadata"] as JsonObject ?? [];
        var spec = pod["spec"] as JsonObject ?? [];
        var status = pod["status"] as JsonObject ?? [];
        var ports = (spec["containers"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
            .Where(p => p["name"] is not null && p["containerPort"] is not null)
            .Select(p => (p["name"]!.ToString(), p["containerPort"]!.GetValue<int>(), p["protocol"]?.ToString() ?? "TCP"))
            .ToList();
        return new EndpointPod(
            metadata["namespace"]?.ToString() ?? "",
            metadata["name"]?.ToString() ?? "",
            metadata["uid"]?.ToString() ?? "",
            (metadata["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal),
            status["podIP"]?.ToString() ?? "",
            spec["nodeName"]?.ToString() ?? "",
            (status["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => c["type"]?.ToString() == "Ready" && c["status"]?.ToString() == "True"),
            metadata["deletionTimestamp"] is not null,
            status["phase"]?.ToString() is "Succeeded" or "Failed",
            spec["hostname"]?.ToString() ?? "",
            spec["subdomain"]?.ToString() ?? "",
            ports);
    }

    /// <summary>The pod's port for a service's targetPort: a number as it is, a name looked up among its container ports.</summary>
    public int? Resolve(JsonNode? targetPort, int servicePort, string protocol)
    {
        if (targetPort is null)
            return servicePort;
        if (targetPort is JsonValue value && value.TryGetValue<int>(out var number))
            return number;
        var name = targetPort.ToString();
        if (int.TryParse(name, out var numeric))
            return numeric;
        return Ports.FirstOrDefault(p => p.Name == name && p.Protocol == protocol) is { Name: not null } found ? found.Port : null;
    }
}
