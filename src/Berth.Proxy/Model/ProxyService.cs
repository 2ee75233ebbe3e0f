using System.Text.Json;

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
        var metadata = service.GetProperty("metadata");
        var spec = service.TryGetProperty("spec", out var s) ? s : default;
        string? Text(string name) => spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        var type = Text("type") ?? "ClusterIP";
        var clusterIp = Text("clusterIP");
        if (type == "ExternalName" || clusterIp is null or "" or "None")
            clusterIp = null;
        var ports = new List<ProxyServicePort>();
        if (type != "ExternalName" && spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("ports", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var port in list.EnumerateArray())
            {
                ports.Add(new ProxyServicePort(
                    port.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "",
                    port.TryGetProperty("protocol", out var protocol) ? protocol.GetString() ?? "TCP" : "TCP",
                    port.TryGetProperty("port", out var number) && number.TryGetInt32(out var n) ? n : 0,
                    port.TryGetProperty("nodePort", out var nodePort) && nodePort.TryGetInt32(out var np) ? np : 0));
            }
        }
        int? affinity = null;
        if (Text("sessionAffinity") == "ClientIP")
        {
            affinity = DefaultAffinitySeconds;
            if (spec.TryGetProperty("sessionAffinityConfig", out var config) && config.TryGetProperty("clientIP", out var clientIp)
                && clientIp.TryGetProperty("timeoutSeconds", out var timeout) && timeout.TryGetInt32(out var seconds) && seconds > 0)
                affinity = seconds;
        }
        return new ProxyService(metadata.GetProperty("namespace").GetString()!, metadata.GetProperty("name").GetString()!, clusterIp, ports, affinity,
            Text("internalTrafficPolicy") == "Local", Text("externalTrafficPolicy") == "Local");
    }
}

/// <summary>One port of a Service; <see cref="NodePort"/> is 0 when it has none.</summary>
internal sealed record ProxyServicePort(string Name, string Protocol, int Port, int NodePort);
