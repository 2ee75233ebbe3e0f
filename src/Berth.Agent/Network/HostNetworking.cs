using Berth.Agent.Nodes;
using Berth.Core.Networking;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Network;

/// <summary>
/// What the pod network needs of the host, set deliberately before any pod starts: blackhole routes for the cluster's
/// pod and service CIDRs (a node's own pod CIDR is more specific and wins while its bridge exists), IPv4 forwarding
/// on (pods reach services through the host), and the node's forwarding chain (<see cref="PodNetworkSettings.ForwardChain"/>)
/// accepting forwarded traffic from and to its pods whatever the FORWARD policy. <see cref="RemoveAsync"/> takes all
/// of it down again.
/// </summary>
public static partial class HostNetworking
{
    /// <summary>Above any route a network interface adds, so a bridge's own subnet always wins.</summary>
    private const string BlackholeMetric = "4000";

    /// <summary>Below the blackhole's, so the service CIDR goes to the bridge while it exists and into the blackhole otherwise.</summary>
    private const string ServiceRouteMetric = "100";

    public static async Task EnsureAsync(PodNetworkSettings settings, ILogger logger)
    {
        foreach (var cidr in new[] { settings.ClusterCidr, settings.ServiceCidr })
            await RunAsync("ip", "route", "replace", "blackhole", cidr, "metric", BlackholeMetric);
        if ((await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_forward")).Trim() != "1")
        {
            await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1");
            Log.ForwardingOn(logger);
        }
        var chain = settings.ForwardChain;
        if (!await TryAsync("iptables", "-w", "-n", "-L", chain))
            await RunAsync("iptables", "-w", "-N", chain);
        await RunAsync("iptables", "-w", "-F", chain);
        await RunAsync("iptables", "-w", "-A", chain, "-s", settings.ClusterCidr, "-j", "ACCEPT", "-m", "comment", "--comment", "berth: from pods");
        await RunAsync("iptables", "-w", "-A", chain, "-d", settings.ClusterCidr, "-j", "ACCEPT", "-m", "comment", "--comment", "berth: to pods");
        if (!await TryAsync("iptables", "-w", "-C", "FORWARD", "-j", chain))
            await RunAsync("iptables", "-w", "-I", "FORWARD", "1", "-j", chain);
    }

    /// <summary>
    /// Readies the node's bridge for services once the node has its pod CIDR, before any pod needs it: the bridge
    /// with the CIDR's gateway address (CNI's bridge plugin takes it as it finds it), the service CIDR routed onto it
    /// (so the node's own connections to cluster IPs get as far as the proxy's DNAT, and anything the proxy does not
    /// translate stays on the bridge instead of leaving the machine), <c>route_localnet</c> on it (a NodePort reached
    /// on 127.0.0.1 is forwarded to a pod), and bridged pod traffic passed through the packet filter (a pod answering
    /// another pod on the same bridge through a Service is translated back).
    /// </summary>
    public static async Task EnsureBridgeAsync(PodNetworkSettings settings, Ipv4Cidr podCidr, ILogger logger)
    {
        // CNI's bridge plugin may be making it at the same moment, for the node's first pod: either may win.
        if (!await TryAsync("ip", "link", "add", settings.Bridge, "type", "bridge"))
            await RunAsync("ip", "link", "show", settings.Bridge);
        var gateway = podCidr.Address(1);
        await RunAsync("ip", "addr", "replace", $"{gateway}/{podCidr.Prefix}", "dev", settings.Bridge);
        await RunAsync("ip", "link", "set", settings.Bridge, "up");
        await RunAsync("ip", "route", "replace", settings.ServiceCidr, "dev", settings.Bridge, "src", gateway, "metric", ServiceRouteMetric);
        await File.WriteAllTextAsync($"/proc/sys/net/ipv4/conf/{settings.Bridge}/route_localnet", "1");
        const string bridgeFilter = "/proc/sys/net/bridge/bridge-nf-call-iptables";
        if (!File.Exists(bridgeFilter))
            Log.NoBridgeFilter(logger);
        else if ((await File.ReadAllTextAsync(bridgeFilter)).Trim() != "1")
            await File.WriteAllTextAsync(bridgeFilter, "1");
    }

    /// <summary>Takes down the routes, the forwarding chain, the service proxy's table (left by a node that did not stop cleanly) and the bridge (with whatever CNI's portmap left behind for it).</summary>
    public static async Task RemoveAsync(PodNetworkSettings settings)
    {
        foreach (var cidr in new[] { settings.ClusterCidr, settings.ServiceCidr })
            await TryAsync("ip", "route", "del", "blackhole", cidr, "metric", BlackholeMetric);
        while (await TryAsync("iptables", "-w", "-D", "FORWARD", "-j", settings.ForwardChain))
        {
        }
        if (await TryAsync("iptables", "-w", "-n", "-L", settings.ForwardChain))
        {
            await TryAsync("iptables", "-w", "-F", settings.ForwardChain);
            await TryAsync("iptables", "-w", "-X", settings.ForwardChain);
        }
        await TryAsync("nft", "delete", "table", "ip", settings.ProxyTable);
        await TryAsync("ip", "link", "del", settings.Bridge);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var result = await HostCommand.RunAsync(program, arguments);
        if (!result.Succeeded)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Error.Trim()}");
    }

    private static async Task<bool> TryAsync(string program, params string[] arguments) => (await HostCommand.RunAsync(program, arguments)).Succeeded;

    private static partial class Log
    {
        [LoggerMessage(4311, LogLevel.Warning, "Bridged pod traffic cannot be filtered (no br_netfilter, /proc/sys/net/bridge missing): a pod reaching another pod on this node through a Service gets no answer; load the br_netfilter module")]
        public static partial void NoBridgeFilter(ILogger logger);

        [LoggerMessage(4310, LogLevel.Information, "IPv4 forwarding turned on for the pod network (net.ipv4.ip_forward=1)")]
        public static partial void ForwardingOn(ILogger logger);
    }
}
