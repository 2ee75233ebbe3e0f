using System.Net;
using System.Text.Json;
using Berth.Core.Networking;
using Berth.Core.Serialization;

namespace Berth.Proxy.Dns;

/// <summary>
/// What cluster DNS needs of an EndpointSlice: the Service it belongs to (label <c>kubernetes.io/service-name</c>; null
/// for a slice of no Service), its endpoints and its ports.
/// </summary>
internal sealed record DnsEndpointSlice(string Namespace, string Name, string? ServiceName, IReadOnlyList<DnsEndpoint> Endpoints, IReadOnlyList<DnsPort> Ports)
{
    public string? ServiceKey => ServiceName is null ? null : $"{Namespace}/{ServiceName}";

    public static DnsEndpointSlice Read(JsonElement slice)
    {
        var metadata = slice.GetProperty("metadata");
        var labels = metadata.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
        List<DnsEndpoint> endpoints = [];
        if (slice.TryGetProperty("endpoints", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var endpoint in list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
            {
                List<IPAddress> addresses = [];
                foreach (var text in JsonFields.Strings(endpoint, "addresses"))
                {
                    if (IPAddress.TryParse(text, out var address))
                        addresses.Add(address);
                }
                // A missing ready condition means "unknown", which consumers read as ready.
                var ready = !(endpoint.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Object
                    && conditions.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.False);
                endpoints.Add(new DnsEndpoint(addresses, JsonFields.String(endpoint, "hostname") is { Length: > 0 } hostname ? hostname : null, ready));
            }
        }
        return new DnsEndpointSlice(metadata.GetProperty("namespace").GetString()!, metadata.GetProperty("name").GetString()!,
            JsonFields.String(labels, EndpointSliceLabels.ServiceName) is { Length: > 0 } service ? service : null, endpoints, DnsJson.Ports(slice));
    }
}
