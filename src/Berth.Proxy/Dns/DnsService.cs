using System.Net;
using System.Text.Json;
using Berth.Core.Serialization;

namespace Berth.Proxy.Dns;

/// <summary>What cluster DNS needs of a Service: its kind, its cluster IPs, the name it aliases, and its ports.</summary>
internal sealed record DnsService(string Namespace, string Name, DnsServiceKind Kind, IReadOnlyList<IPAddress> ClusterIps, string? ExternalName,
    IReadOnlyList<DnsPort> Ports)
{
    public string Key => $"{Namespace}/{Name}";

    public static DnsService Read(JsonElement service)
    {
        var metadata = service.GetProperty("metadata");
        var spec = service.TryGetProperty("spec", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        var type = JsonFields.String(spec, "type") ?? "ClusterIP";
        var clusterIp = JsonFields.String(spec, "clusterIP");
        var kind = type == "ExternalName" ? DnsServiceKind.ExternalName
            : clusterIp == "None" ? DnsServiceKind.Headless
            : DnsServiceKind.ClusterIp;
        List<IPAddress> clusterIps = [];
        if (kind == DnsServiceKind.ClusterIp)
        {
            // clusterIPs lists every family's address (dual-stack), clusterIP the primary one; older objects have only the latter.
            foreach (var text in JsonFields.Strings(spec, "clusterIPs").Append(clusterIp))
            {
                if (IPAddress.TryParse(text, out var address) && !clusterIps.Contains(address))
                    clusterIps.Add(address);
            }
        }
        var externalName = kind == DnsServiceKind.ExternalName ? JsonFields.String(spec, "externalName")?.TrimEnd('.') : null;
        return new DnsService(metadata.GetProperty("namespace").GetString()!, metadata.GetProperty("name").GetString()!, kind, clusterIps,
            externalName is { Length: > 0 } ? externalName : null, DnsJson.Ports(spec));
    }
}
