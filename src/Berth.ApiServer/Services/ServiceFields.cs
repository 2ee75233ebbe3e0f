using System.Text.Json.Nodes;

namespace Berth.ApiServer.Services;

/// <summary>
/// How a write's Service spec is read before defaulting, as upstream's service strategy does: the singular and plural
/// cluster IP fields are kept in step, an update keeps what the server allocated when the writer left it out, and a
/// type change drops the allocated fields the new type has no use for (unless the writer changed them too, which
/// validation then refuses), so that they are released.
/// </summary>
internal static class ServiceFields
{
    /// <summary>A new Service that names only <c>clusterIP</c> (an older client) names it in <c>clusterIPs</c> too.</summary>
    public static void OnCreate(JsonObject spec)
    {
        if (ServiceSpecs.ClusterIp(spec).Length > 0 && ServiceSpecs.ClusterIps(spec).Count == 0)
            spec["clusterIPs"] = new JsonArray(ServiceSpecs.ClusterIp(spec));
    }

    public static void OnUpdate(JsonObject spec, JsonObject before)
    {
        KeepAllocated(spec, before);
        NormalizeClusterIps(spec, before);
        DropTypeDependent(spec, before);
    }

    /// <summary>What the server allocated stays when the writer left it out (a replace of the original manifest).</summary>
    private static void KeepAllocated(JsonObject spec, JsonObject before)
    {
        if (ServiceSpecs.NeedsClusterIp(before) && ServiceSpecs.NeedsClusterIp(spec))
        {
            if (ServiceSpecs.ClusterIp(spec).Length == 0 && before["clusterIP"] is { } ip)
                spec["clusterIP"] = ip.DeepClone();
            if (ServiceSpecs.ClusterIps(spec).Count == 0 && before["clusterIPs"] is { } ips)
                spec["clusterIPs"] = ips.DeepClone();
        }
        if (ServiceSpecs.NeedsNodePorts(before) && ServiceSpecs.NeedsNodePorts(spec))
        {
            // By port name: the writer may have changed the port's other fields.
            var byName = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var port in ServiceSpecs.Ports(before))
                byName.TryAdd(port["name"]?.ToString() ?? "", ServiceSpecs.NodePort(port));
            foreach (var port in ServiceSpecs.Ports(spec))
            {
                if (ServiceSpecs.NodePort(port) == 0 && byName.TryGetValue(port["name"]?.ToString() ?? "", out var kept) && kept != 0)
                    port["nodePort"] = kept;
            }
        }
        if (ServiceSpecs.NeedsHealthCheckNodePort(before) && ServiceSpecs.NeedsHealthCheckNodePort(spec) && ServiceSpecs.HealthCheckNodePort(spec) == 0
            && before["healthCheckNodePort"] is { } healthCheck)
        {
            spec["healthCheckNodePort"] = healthCheck.DeepClone();
        }
    }

    /// <summary>Works out what the writer meant when only one of <c>clusterIP</c> and <c>clusterIPs</c> says something new.</summary>
    private static void NormalizeClusterIps(JsonObject spec, JsonObject before)
    {
        var (oldIp, newIp) = (ServiceSpecs.ClusterIp(before), ServiceSpecs.ClusterIp(spec));
        var oldIps = ServiceSpecs.ClusterIps(before);
        // An older client that knows only clusterIP left clusterIPs out.
        if (oldIps.Count > 0 && ServiceSpecs.ClusterIps(spec).Count == 0 && oldIp == newIp)
            spec["clusterIPs"] = before["clusterIPs"]!.DeepClone();
        if (oldIp == newIp || !oldIps.SequenceEqual(ServiceSpecs.ClusterIps(spec)))
            return;
        // clusterIP changed and clusterIPs did not: clearing the one clears the other, changing it changes the other.
        if (newIp.Length == 0)
            spec.Remove("clusterIPs");
        else
            spec["clusterIPs"] = new JsonArray(newIp);
    }

    private static void DropTypeDependent(JsonObject spec, JsonObject before)
    {
        if (ServiceSpecs.NeedsClusterIp(before) && !ServiceSpecs.NeedsClusterIp(spec))
        {
            if (ServiceSpecs.ClusterIp(spec) == ServiceSpecs.ClusterIp(before) && ServiceSpecs.ClusterIps(spec).SequenceEqual(ServiceSpecs.ClusterIps(before)))
            {
                spec.Remove("clusterIP");
                spec.Remove("clusterIPs");
            }
            if (JsonNode.DeepEquals(spec["ipFamilies"], before["ipFamilies"]))
                spec.Remove("ipFamilies");
            if (JsonNode.DeepEquals(spec["ipFamilyPolicy"], before["ipFamilyPolicy"]))
                spec.Remove("ipFamilyPolicy");
        }
        if (ServiceSpecs.NeedsNodePorts(before) && !ServiceSpecs.NeedsNodePorts(spec) && ServiceSpecs.NodePorts(before).ToHashSet().IsSupersetOf(ServiceSpecs.NodePorts(spec)))
        {
            foreach (var port in ServiceSpecs.Ports(spec))
                port.Remove("nodePort");
        }
        if (ServiceSpecs.NeedsHealthCheckNodePort(before) && !ServiceSpecs.NeedsHealthCheckNodePort(spec)
            && ServiceSpecs.HealthCheckNodePort(spec) == ServiceSpecs.HealthCheckNodePort(before))
        {
            spec.Remove("healthCheckNodePort");
        }
        var wasExternal = ServiceSpecs.NeedsNodePorts(before);
        if (wasExternal && !ServiceSpecs.NeedsNodePorts(spec) && JsonNode.DeepEquals(spec["externalTrafficPolicy"], before["externalTrafficPolicy"]))
            spec.Remove("externalTrafficPolicy");
        if (ServiceSpecs.Type(before) == "LoadBalancer" && ServiceSpecs.Type(spec) != "LoadBalancer"
            && JsonNode.DeepEquals(spec["allocateLoadBalancerNodePorts"], before["allocateLoadBalancerNodePorts"]))
        {
            spec.Remove("allocateLoadBalancerNodePorts");
        }
    }
}
