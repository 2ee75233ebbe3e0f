using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Serialization;

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
    /// <summary>Read from the watched pod's JSON as it is, without a parsed tree of the whole pod per change.</summary>
    public static EndpointPod Read(JsonElement pod)
    {
        var metadata = JsonFields.Object(pod, "metadata");
        var spec = JsonFields.Object(pod, "spec");
        var status = JsonFields.Object(pod, "status");
        var ports = JsonFields.Objects(spec, "containers")
            .SelectMany(c => JsonFields.Objects(c, "ports"))
            .Where(p => JsonFields.String(p, "name") is not null && JsonFields.Int(p, "containerPort") is not null)
            .Select(p => (JsonFields.String(p, "name")!, JsonFields.Int(p, "containerPort")!.Value, JsonFields.String(p, "protocol") ?? "TCP"))
            .ToList();
        return new EndpointPod(
            JsonFields.String(metadata, "namespace") ?? "",
            JsonFields.String(metadata, "name") ?? "",
            JsonFields.String(metadata, "uid") ?? "",
            JsonFields.StringMap(metadata, "labels"),
            JsonFields.String(status, "podIP") ?? "",
            JsonFields.String(spec, "nodeName") ?? "",
            JsonFields.Objects(status, "conditions").Any(c => JsonFields.String(c, "type") == "Ready" && JsonFields.String(c, "status") == "True"),
            JsonFields.Has(metadata, "deletionTimestamp"),
            JsonFields.String(status, "phase") is "Succeeded" or "Failed",
            JsonFields.String(spec, "hostname") ?? "",
            JsonFields.String(spec, "subdomain") ?? "",
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
