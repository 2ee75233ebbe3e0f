using System.Text.Json;
using Berth.Core.Serialization;

namespace Berth.Proxy.Model;

/// <summary>What the service proxy needs of a Service: its virtual IP, ports and traffic policies.</summary>
internal sealed record ProxyService(string Namespace, string Name, string? ClusterIp, IReadOnlyList<ProxyServicePort> Ports,
    int? AffinitySeconds, bool InternalLocal, bool ExternalLocal)
{
    /// <summary>Upstream's default ClientIP affinity timeout: three hours.</summary>
    private const int DefaultAffinitySeconds = 10800;

    public string Key => $"{Namespace}/{Name}";

    /// <summary>
    /// The Service as the proxy sees it; headless and ExternalName Services, and those not given an address yet,
    /// have no <see cref="ClusterIp"/> (nothing to program for their cluster IP, though a NodePort may remain).
    /// </summary>
    public static ProxyService Read(JsonElement service)
    {
        var metadata = JsonFields.Object(service, "metadata");
        var spec = JsonFields.Object(service, "spec");
        var type = JsonFields.String(spec, "type") ?? "ClusterIP";
        var clusterIp = JsonFields.String(spec, "clusterIP");
        if (type == "ExternalName" || clusterIp is null or "" or "None")
            clusterIp = null;
        List<ProxyServicePort> ports = type == "ExternalName"
            ? []
            : [.. JsonFields.Objects(spec, "ports").Select(p => new ProxyServicePort(
                JsonFields.String(p, "name") ?? "", JsonFields.String(p, "protocol") ?? "TCP", JsonFields.Int(p, "port") ?? 0, JsonFields.Int(p, "nodePort") ?? 0))];
        int? affinity = null;
        if (JsonFields.String(spec, "sessionAffinity") == "ClientIP")
        {
            var timeout = JsonFields.Int(JsonFields.Object(JsonFields.Object(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
            affinity = timeout is > 0 ? timeout : DefaultAffinitySeconds;
        }
        return new ProxyService(JsonFields.String(metadata, "namespace") ?? "", JsonFields.String(metadata, "name") ?? "", clusterIp, ports, affinity,
            JsonFields.String(spec, "internalTrafficPolicy") == "Local", JsonFields.String(spec, "externalTrafficPolicy") == "Local");
    }
}
