using System.Text;

namespace Berth.Proxy.Rules;

/// <summary>
/// Writes the nftables scripts for the proxy's own table (family <c>ip</c>): the whole table, or only the changes
/// from one <see cref="RuleSet"/> to the next. Either is applied by one <c>nft -f</c>, which is one transaction: a
/// packet sees the old rules or the new, never a mixture.
/// <para>
/// The fixed part: NAT chains at prerouting (pods) and output (the node itself) look the destination up in the
/// <c>service-ips</c> and <c>service-nodeports</c> verdict maps; a postrouting chain masquerades what was marked.
/// Filter chains just after DNAT reject new connections still addressed to the service CIDR (no such Service, or
/// no endpoint) and to NodePorts without endpoints, so clients get "connection refused" rather than a timeout, and
/// drop packets from outside for loopback addresses that no translation sent there.
/// </para>
/// </summary>
internal sealed class ProxyTable(string name, string serviceCidr, IReadOnlyList<string> nodePortAddresses)
{
    /// <summary>The mark bit that asks postrouting to masquerade (the one upstream's proxy uses).</summary>
    private const string MasqueradeBit = "0x4000";

    public string Name => name;

    /// <summary>The whole table, replacing whatever the table held before.</summary>
    public string Full(RuleSet rules)
    {
        var script = new StringBuilder();
        // Adding first makes the delete safe when the table does not exist yet.
        script.Append($"add table ip {name}\ndelete table ip {name}\nadd table ip {name}\n");
        script.Append($"add set ip {name} nodeport-ips {{ type ipv4_addr; flags interval; }}\n");
        if (nodePortAddresses.Count > 0)
            script.Append($"add element ip {name} nodeport-ips {{ {string.Join(", ", nodePortAddresses)} }}\n");
        script.Append($"add map ip {name} service-ips {{ type ipv4_addr . inet_proto . inet_service : verdict; }}\n");
        script.Append($"add map ip {name} service-nodeports {{ type inet_proto . inet_service : verdict; }}\n");
        script.Append($"add set ip {name} unserved-nodeports {{ type inet_proto . inet_service; }}\n");

        Chain(script, RuleSetBuilder.MarkForMasquerade, $"meta mark set meta mark | {MasqueradeBit}");
        Chain(script, "services",
            $"ip daddr . meta l4proto . th dport vmap @service-ips",
            $"ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports");
        Chain(script, "unserved",
            $"ip daddr {serviceCidr} reject",
            $"ip daddr @nodeport-ips meta l4proto . th dport @unserved-nodeports reject");
        BaseChain(script, "nat-prerouting", "nat", "prerouting", "-100", "jump services");
        BaseChain(script, "nat-output", "nat", "output", "-100", "jump services");
        BaseChain(script, "nat-postrouting", "nat", "postrouting", "100",
            $"meta mark & {MasqueradeBit} == 0 return",
            $"meta mark set meta mark ^ {MasqueradeBit} masquerade");
        // Priorities as numbers (nft 1.0.6 knows "dstnat" only at prerouting): DNAT is -100, source NAT 100.
        // After DNAT (-90): what still goes to a service address found nowhere to go.
        // Loopback addresses are routable from the bridge (route_localnet, for NodePorts on 127.0.0.1 and the kubernetes
        // Service): only what the proxy translated may arrive there from outside, not a pod's own packets to 127.0.0.1.
        BaseChain(script, "filter-prerouting", "filter", "prerouting", "-90",
            "ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct state != { established, related } ct status & dnat == 0 drop",
            "ct state new jump unserved");
        BaseChain(script, "filter-output", "filter", "output", "-90", "ct state new jump unserved");

        foreach (var (set, timeout) in rules.AffinitySets)
            AddAffinitySet(script, set, timeout);
        foreach (var chain in rules.Chains.Keys)
            script.Append($"add chain ip {name} {chain}\n");
        foreach (var (chain, chainRules) in rules.Chains)
            AddRules(script, chain, chainRules);
        AddElements(script, "service-ips", rules.ServiceIps.Select(e => $"{e.Key} : {e.Value}"));
        AddElements(script, "service-nodeports", rules.NodePorts.Select(e => $"{e.Key} : {e.Value}"));
        AddElements(script, "unserved-nodeports", rules.UnservedNodePorts);
        return script.ToString();
    }

    /// <summary>
    /// What turns <paramref name="from"/> into <paramref name="to"/>, in an order nftables accepts within one
    /// transaction: new sets and chains before anything refers to them, and a chain deleted only after every rule
    /// that jumped to it was rewritten. Empty when nothing changed.
    /// </summary>
    public string Changes(RuleSet from, RuleSet to)
    {
        var script = new StringBuilder();
        foreach (var (set, timeout) in to.AffinitySets.Where(s => !from.AffinitySets.ContainsKey(s.Key)))
            AddAffinitySet(script, set, timeout);
        foreach (var chain in to.Chains.Keys.Where(c => !from.Chains.ContainsKey(c)))
            script.Append($"add chain ip {name} {chain}\n");
        foreach (var (chain, chainRules) in to.Chains)
        {
            if (from.Chains.TryGetValue(chain, out var old))
            {
                if (old.SequenceEqual(chainRules, StringComparer.Ordinal))
                    continue;
                script.Append($"flush chain ip {name} {chain}\n");
            }
            AddRules(script, chain, chainRules);
        }

        MapChanges(script, "service-ips", from.ServiceIps, to.ServiceIps);
        MapChanges(script, "service-nodeports", from.NodePorts, to.NodePorts);
        var unservedGone = from.UnservedNodePorts.Where(p => !to.UnservedNodePorts.Contains(p)).ToList();
        if (unservedGone.Count > 0)
            script.Append($"delete element ip {name} unserved-nodeports {{ {string.Join(", ", unservedGone)} }}\n");
        AddElements(script, "unserved-nodeports", to.UnservedNodePorts.Where(p => !from.UnservedNodePorts.Contains(p)));

        var chainsGone = from.Chains.Keys.Where(c => !to.Chains.ContainsKey(c)).ToList();
        foreach (var chain in chainsGone)
            script.Append($"flush chain ip {name} {chain}\n");
        foreach (var chain in chainsGone)
            script.Append($"delete chain ip {name} {chain}\n");
        foreach (var set in from.AffinitySets.Keys.Where(s => !to.AffinitySets.ContainsKey(s)))
            script.Append($"delete set ip {name} {set}\n");
        return script.ToString();
    }

    /// <summary>Removes the table, and with it every rule the proxy made.</summary>
    public string Delete() => $"add table ip {name}\ndelete table ip {name}\n";

    private void MapChanges(StringBuilder script, string map, Dictionary<string, string> from, Dictionary<string, string> to)
    {
        var gone = from.Where(e => !to.TryGetValue(e.Key, out var verdict) || verdict != e.Value).Select(e => e.Key).ToList();
        if (gone.Count > 0)
            script.Append($"delete element ip {name} {map} {{ {string.Join(", ", gone)} }}\n");
        AddElements(script, map, to.Where(e => !from.TryGetValue(e.Key, out var verdict) || verdict != e.Value).Select(e => $"{e.Key} : {e.Value}"));
    }

    private void AddElements(StringBuilder script, string setOrMap, IEnumerable<string> elements)
    {
        var list = elements.ToList();
        if (list.Count > 0)
            script.Append($"add element ip {name} {setOrMap} {{ {string.Join(", ", list)} }}\n");
    }

    private void AddAffinitySet(StringBuilder script, string set, int timeoutSeconds) =>
        script.Append($"add set ip {name} {set} {{ type ipv4_addr; flags dynamic,timeout; timeout {timeoutSeconds}s; }}\n");

    private void AddRules(StringBuilder script, string chain, IEnumerable<string> rules)
    {
        foreach (var rule in rules)
            script.Append($"add rule ip {name} {chain} {rule}\n");
    }

    private void Chain(StringBuilder script, string chain, params string[] rules)
    {
        script.Append($"add chain ip {name} {chain}\n");
        AddRules(script, chain, rules);
    }

    private void BaseChain(StringBuilder script, string chain, string type, string hook, string priority, params string[] rules)
    {
        script.Append($"add chain ip {name} {chain} {{ type {type} hook {hook} priority {priority}; policy accept; }}\n");
        AddRules(script, chain, rules);
    }
}
