using System.Text.Json;
using Berth.Core.Networking;
using Berth.Core.Serialization;

namespace Berth.Proxy.Model;

/// <summary>
/// What the service proxy needs of an EndpointSlice: the Service it serves (its <c>kubernetes.io/service-name</c>
/// label), its ports by name, and its IPv4 endpoints with their conditions and node.
/// </summary>
internal sealed record ProxySlice(string Namespace, string Name, string? Service, IReadOnlyList<ProxySlicePort> Ports, IReadOnlyList<ProxyEndpoint> Endpoints)
{
    public string? ServiceKey => Service is null ? null : $"{Namespace}/{Service}";

    public static ProxySlice Read(JsonElement slice)
    {
        var metadata = JsonFields.Object(slice, "metadata");
        var service = JsonFields.String(JsonFields.Object(metadata, "labels"), EndpointSliceLabels.ServiceName);
        var ipv4 = (JsonFields.String(slice, "addressType") ?? "IPv4") == "IPv4";
        List<ProxySlicePort> ports = [.. JsonFields.Objects(slice, "ports").Select(p => new ProxySlicePort(
            JsonFields.String(p, "name") ?? "", JsonFields.String(p, "protocol") ?? "TCP", JsonFields.Int(p, "port") ?? 0))];
        List<ProxyEndpoint> endpoints = [];
        foreach (var endpoint in ipv4 ? JsonFields.Objects(slice, "endpoints") : [])
        {
            // Every address of an endpoint is the same pod; upstream's proxy uses the first.
            if (JsonFields.Strings(endpoint, "addresses").FirstOrDefault() is not { } address)
                continue;
            var conditions = JsonFields.Object(endpoint, "conditions");
            // Upstream reads an absent ready as true, an absent serving as ready, an absent terminating as false.
            var ready = JsonFields.Bool(conditions, "ready") ?? true;
            endpoints.Add(new ProxyEndpoint(address, JsonFields.String(endpoint, "nodeName"), ready, JsonFields.Bool(conditions, "serving") ?? ready,
                JsonFields.Bool(conditions, "terminating") ?? false));
        }
        return new ProxySlice(JsonFields.String(metadata, "namespace") ?? "", JsonFields.String(metadata, "name") ?? "", service, ports, endpoints);
    }
}
