using System.Text.Json.Nodes;

namespace Berth.ApiServer.Defaulting;

/// <summary>Upstream's defaults for a Service's spec (its cluster IP and node ports are allocated by <see cref="Berth.ApiServer.Services.ServiceAllocations"/>).</summary>
internal static class ServiceDefaults
{
    public static void Spec(JsonObject spec)
    {
        spec.Default("type", "ClusterIP");
        var type = spec["type"]!.GetValue<string>();
        spec.Default("sessionAffinity", "None");
        foreach (var port in spec.Items("ports"))
        {
            port.Default("protocol", "TCP");
            port.Default("targetPort", port["port"]?.DeepClone());
        }
        if (type == "ExternalName")
            return;
        spec.Default("internalTrafficPolicy", "Cluster");
        if (type is "NodePort" or "LoadBalancer")
            spec.Default("externalTrafficPolicy", "Cluster");
        if (type == "LoadBalancer")
            spec.Default("allocateLoadBalancerNodePorts", true);
        spec.Default("ipFamilyPolicy", "SingleStack");
        spec.Default("ipFamilies", new JsonArray("IPv4"));
    }
}
