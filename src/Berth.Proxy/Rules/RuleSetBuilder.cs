using Berth.Proxy.Model;

namespace Berth.Proxy.Rules;

/// <summary>
/// Turns Services and their EndpointSlices into the <see cref="RuleSet"/> upstream's kube-proxy would program on
/// this node: a cluster IP's port leads to a chain that picks one endpoint at random (or the one a client was sent to
/// within its ClientIP affinity timeout) and DNATs to it; a NodePort does the same from the node's addresses. Ready
/// endpoints are used, or else the serving ones that are terminating (so a rolling update drains without refusals).
/// <c>internalTrafficPolicy: Local</c> keeps cluster IP traffic on this node's endpoints, <c>externalTrafficPolicy:
/// Local</c> NodePort traffic. Traffic is masqueraded when the endpoint could not answer it directly: from outside
/// the pod network, from loopback, or from the endpoint itself (hairpin).
/// </summary>
internal static class RuleSetBuilder
{
    public const string MarkForMasquerade = "mark-for-masquerade";

    public static RuleSet Build(IEnumerable<ProxyService> services, ILookup<string, ProxySlice> slicesByService, string nodeName, string clusterCidr)
    {
        var rules = new RuleSet();
        foreach (var service in services)
        {
            // Whatever goes into the script must be unable to say anything else there (see NftWords).
            if (!NftWords.IsName(service.Namespace) || !NftWords.IsName(service.Name) || service.ClusterIp is { } ip && !NftWords.IsAddress(ip))
                continue;
            foreach (var port in service.Ports)
            {
                if (port.Port is <= 0 or > 65535 || Protocol(port.Protocol) is not { } protocol || port.Name.Length > 0 && !NftWords.IsName(port.Name))
                    continue;
                var endpoints = EndpointsOf(slicesByService[service.Key], port);
                var local = endpoints.Where(e => e.Endpoint.NodeName == nodeName).ToList();
                var path = $"{service.Namespace}/{service.Name}/{protocol}/{(port.Name.Length > 0 ? port.Name : port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))}";

                var cluster = Usable(service.InternalLocal ? local : endpoints);
                if (service.ClusterIp is { } clusterIp && cluster.Count > 0)
                {
                    var chain = "svc-" + path;
                    rules.Chains[chain] = [$"ip saddr != {clusterCidr} jump {MarkForMasquerade}", .. Dispatch(rules, service, path, protocol, cluster)];
                    rules.ServiceIps[$"{clusterIp} . {protocol} . {port.Port}"] = $"goto {chain}";
                    if (protocol == "udp")
                        rules.UdpFlows.UnionWith(cluster.Select(e => new UdpFlow(clusterIp, 0, e.Endpoint.Address)));
                }

                if (port.NodePort is <= 0 or > 65535)
                    continue;
                var external = Usable(service.ExternalLocal ? local : endpoints);
                var key = $"{protocol} . {port.NodePort}";
                if (external.Count == 0)
                {
                    rules.UnservedNodePorts.Add(key);
                    continue;
                }
                var externalChain = "ext-" + path;
                // Local traffic policy keeps the client's address, except from loopback, which a pod cannot answer.
                var masquerade = service.ExternalLocal ? $"ip saddr 127.0.0.0/8 jump {MarkForMasquerade}" : $"jump {MarkForMasquerade}";
                rules.Chains[externalChain] = [masquerade, .. Dispatch(rules, service, path, protocol, external)];
                rules.NodePorts[key] = $"goto {externalChain}";
                if (protocol == "udp")
                    rules.UdpFlows.UnionWith(external.Select(e => new UdpFlow(null, port.NodePort, e.Endpoint.Address)));
            }
        }
        return rules;
    }

    /// <summary>
    /// The rules that send a new connection to one of <paramref name="endpoints"/>: back to the endpoint its client
    /// had within the affinity timeout, else one at random. Each endpoint's own chain is added to <paramref name="rules"/>.
    /// </summary>
    private static List<string> Dispatch(RuleSet rules, ProxyService service, string path, string protocol, List<(ProxyEndpoint Endpoint, int Port)> endpoints)
    {
        var chains = new List<string>(endpoints.Count);
        var dispatch = new List<string>();
        foreach (var (endpoint, port) in endpoints)
        {
            var chain = $"ep-{path}/{endpoint.Address}/{port}";
            chains.Add(chain);
            var endpointRules = new List<string> { $"ip saddr {endpoint.Address} jump {MarkForMasquerade}" };
            if (service.AffinitySeconds is { } timeout)
            {
                // The timeout is in the name: a Service that changes it gets new sets, as a set's timeout is fixed.
                var set = $"aff{timeout}-{path}/{endpoint.Address}/{port}";
                rules.AffinitySets[set] = timeout;
                dispatch.Add($"ip saddr @{set} goto {chain}");
                endpointRules.Add($"update @{set} {{ ip saddr }}");
            }
            endpointRules.Add($"meta l4proto {protocol} dnat to {endpoint.Address}:{port}");
            rules.Chains[chain] = endpointRules;
        }
        dispatch.Add(chains.Count == 1
            ? $"goto {chains[0]}"
            : $"numgen random mod {chains.Count} vmap {{ {string.Join(", ", chains.Select((c, i) => $"{i} : goto {c}"))} }}");
        return dispatch;
    }

    /// <summary>The endpoints of the Service's slices that serve <paramref name="port"/> (same name and protocol), once each.</summary>
    private static List<(ProxyEndpoint Endpoint, int Port)> EndpointsOf(IEnumerable<ProxySlice> slices, ProxyServicePort port)
    {
        var found = new List<(ProxyEndpoint, int)>();
        var seen = new HashSet<(string, int)>();
        foreach (var slice in slices)
        {
            foreach (var slicePort in slice.Ports)
            {
                if (slicePort.Name != port.Name || slicePort.Protocol != port.Protocol || slicePort.Port is <= 0 or > 65535)
                    continue;
                foreach (var endpoint in slice.Endpoints)
                {
                    if (NftWords.IsAddress(endpoint.Address) && seen.Add((endpoint.Address, slicePort.Port)))
                        found.Add((endpoint, slicePort.Port));
                }
            }
        }
        // A stable order, so the same endpoints give the same rules whatever order the slices came in.
        found.Sort((a, b) => (string.CompareOrdinal(a.Item1.Address, b.Item1.Address), a.Item2.CompareTo(b.Item2)) switch
        {
            (0, var byPort) => byPort,
            (var byAddress, _) => byAddress,
        });
        return found;
    }

    /// <summary>The ready endpoints; when none is, the serving ones that are terminating, as upstream's proxy falls back.</summary>
    private static List<(ProxyEndpoint Endpoint, int Port)> Usable(List<(ProxyEndpoint Endpoint, int Port)> endpoints)
    {
        var ready = endpoints.Where(e => e.Endpoint.Ready).ToList();
        return ready.Count > 0 ? ready : endpoints.Where(e => e.Endpoint.Serving && e.Endpoint.Terminating).ToList();
    }

    /// <summary>nftables' name of a Service protocol; null for one it cannot match.</summary>
    private static string? Protocol(string protocol) => protocol switch
    {
        "TCP" => "tcp",
        "UDP" => "udp",
        "SCTP" => "sctp",
        _ => null,
    };
}
