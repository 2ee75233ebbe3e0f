namespace Berth.Proxy.Rules;

/// <summary>
/// The part of the proxy's nftables table that follows the Services: one chain per service port (and per endpoint),
/// the verdict map entries that lead to them, NodePorts with nothing behind them, and one ClientIP affinity set per
/// endpoint of a Service that asks for affinity. Plain data, so two of them can be compared to find what changed.
/// The proxy keeps one per Service: no two Services share a chain, a set, a cluster IP or a NodePort, so the
/// table's whole content is their <see cref="Merge"/>.
/// </summary>
internal sealed class RuleSet
{
    /// <summary>Chain name → its rules, in order.</summary>
    public Dictionary<string, IReadOnlyList<string>> Chains { get; } = new(StringComparer.Ordinal);

    /// <summary><c>ip . protocol . port</c> → the verdict for a cluster IP's port.</summary>
    public Dictionary<string, string> ServiceIps { get; } = new(StringComparer.Ordinal);

    /// <summary><c>protocol . port</c> → the verdict for a NodePort.</summary>
    public Dictionary<string, string> NodePorts { get; } = new(StringComparer.Ordinal);

    /// <summary><c>protocol . port</c> of NodePorts with no endpoint to send to: rejected.</summary>
    public HashSet<string> UnservedNodePorts { get; } = new(StringComparer.Ordinal);

    /// <summary>Affinity set name → its timeout in seconds.</summary>
    public Dictionary<string, int> AffinitySets { get; } = new(StringComparer.Ordinal);

    /// <summary>UDP destinations (a cluster IP or a NodePort) and the endpoints they lead to, whose flows die with them.</summary>
    public HashSet<UdpFlow> UdpFlows { get; } = [];

    /// <summary>How many service ports have somewhere to go, for the log.</summary>
    public int ServedPorts => ServiceIps.Count + NodePorts.Count;

    /// <summary>Everything of <paramref name="parts"/> in one set.</summary>
    public static RuleSet Merge(IEnumerable<RuleSet> parts)
    {
        var merged = new RuleSet();
        foreach (var part in parts)
        {
            foreach (var (chain, rules) in part.Chains)
                merged.Chains[chain] = rules;
            foreach (var (key, verdict) in part.ServiceIps)
                merged.ServiceIps[key] = verdict;
            foreach (var (key, verdict) in part.NodePorts)
                merged.NodePorts[key] = verdict;
            merged.UnservedNodePorts.UnionWith(part.UnservedNodePorts);
            foreach (var (set, timeout) in part.AffinitySets)
                merged.AffinitySets[set] = timeout;
            merged.UdpFlows.UnionWith(part.UdpFlows);
        }
        return merged;
    }
}
