using System.Text.Json;

namespace Berth.Proxy.Model;

/// <summary>
/// What the service proxy needs of an EndpointSlice: the Service it serves (its <c>kubernetes.io/service-name</c>
/// label), its ports by name, and its IPv4 endpoints with their conditions and node.
/// </summary>
internal sealed record ProxySlice(string Namespace, string Name, string? Service, IReadOnlyList<ProxySlicePort> Ports, IReadOnlyList<ProxyEndpoint> Endpoints)
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public string? ServiceKey => Service is null ? null : $"{Namespace}/{Service}";

    public static ProxySlice Read(JsonElement slice)
    {
        var metadata = slice.GetProperty("metadata");
        string? service = metadata.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object
            && labels.TryGetProperty(ServiceNameLabel, out var label) ? label.GetString() : null;
        var ipv4 = !slice.TryGetProperty("addressType", out var addressType) || addressType.GetString() == "IPv4";

        var ports = new List<ProxySlicePort>();
        if (slice.TryGetProperty("ports", out var portList) && portList.ValueKind == JsonValueKind.Array)
        {
            foreach (var port in portList.EnumerateArray())
            {
                ports.Add(new ProxySlicePort(
                    port.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "",
                    port.TryGetProperty("protocol", out var protocol) ? protocol.GetString() ?? "TCP" : "TCP",
                    port.TryGetProperty("port", out var number) && number.TryGetInt32(out var n) ? n : 0));
            }
        }
        var endpoints = new List<ProxyEndpoint>();
        if (ipv4 && slice.TryGetProperty("endpoints", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var endpoint in list.EnumerateArray())
            {
                var conditions = endpoint.TryGetProperty("conditions", out var c) ? c : default;
                // Upstream reads an absent condition as true for ready and serving, false for terminating.
                bool Condition(string name, bool absent) =>
                    conditions.ValueKind == JsonValueKind.Object && conditions.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? v.GetBoolean()
                        : absent;
                var node = endpoint.TryGetProperty("nodeName", out var n) ? n.GetString() : null;
                if (!endpoint.TryGetProperty("addresses", out var addresses) || addresses.ValueKind != JsonValueKind.Array || addresses.GetArrayLength() == 0)
                    continue;
                // Every address of an endpoint is the same pod; upstream's proxy uses the first.
                endpoints.Add(new ProxyEndpoint(addresses[0].GetString()!, node, Condition("ready", true), Condition("serving", true), Condition("terminating", false)));
            }
        }
        return new ProxySlice(metadata.GetProperty("namespace").GetString()!, metadata.GetProperty("name").GetString()!, service, ports, endpoints);
    }
}

/// <summary>A port an EndpointSlice's endpoints serve, named as the Service's port it belongs to.</summary>
internal sealed record ProxySlicePort(string Name, string Protocol, int Port);

/// <summary>One endpoint of an EndpointSlice: a pod's address, its node and its conditions.</summary>
internal sealed record ProxyEndpoint(string Address, string? NodeName, bool Ready, bool Serving, bool Terminating);
