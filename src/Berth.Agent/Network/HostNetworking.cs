using Berth.Agent.Nodes;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Network;

/// <summary>
/// What the pod network needs of the host, set deliberately before any pod starts: blackhole routes for the cluster's
/// pod and service CIDRs (a node's own pod CIDR is more specific and wins while its bridge exists), IPv4 forwarding
/// on (pods reach services through the host), and a <c>BERTH-FORWARD</c> chain accepting forwarded traffic from
/// and to pods whatever the FORWARD policy. <see cref="RemoveAsync"/> takes all of it down again.
/// </summary>
public static partial class HostNetworking
{
    public const string ForwardChain = "BERTH-FORWARD";

    /// <summary>Above any route a network interface adds, so a bridge's own subnet always wins.</summary>
    private const string BlackholeMetric = "4000";

    public static async Task EnsureAsync(PodNetworkSettings settings, ILogger logger)
    {
        foreach (var cidr in new[] { settings.ClusterCidr, settings.ServiceCidr })
            await RunAsync("ip", "route", "replace", "blackhole", cidr, "metric", BlackholeMetric);
        if ((await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_forward")).Trim() != "1")
        {
            await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1");
            Log.ForwardingOn(logger);
        }
        if (!await TryAsync("iptables", "-w", "-n", "-L", ForwardChain))
            await RunAsync("iptables", "-w", "-N", ForwardChain);
        await RunAsync("iptables", "-w", "-F", ForwardChain);
        await RunAsync("iptables", "-w", "-A", ForwardChain, "-s", settings.ClusterCidr, "-j", "ACCEPT", "-m", "comment", "--comment", "berth: from pods");
        await RunAsync("iptables", "-w", "-A", ForwardChain, "-d", settings.ClusterCidr, "-j", "ACCEPT", "-m", "comment", "--comment", "berth: to pods");
        if (!await TryAsync("iptables", "-w", "-C", "FORWARD", "-j", ForwardChain))
            await RunAsync("iptables", "-w", "-I", "FORWARD", "1", "-j", ForwardChain);
    }

    /// <summary>Takes down the routes, the forwarding chain and the bridge (with whatever CNI's portmap left behind for it).</summary>
    public static async Task RemoveAsync(PodNetworkSettings settings)
    {
        foreach (var cidr in new[] { settings.ClusterCidr, settings.ServiceCidr })
            await TryAsync("ip", "route", "del", "blackhole", cidr, "metric", BlackholeMetric);
        while (await TryAsync("iptables", "-w", "-D", "FORWARD", "-j", ForwardChain))
        {
        }
        if (await TryAsync("iptables", "-w", "-n", "-L", ForwardChain))
        {
            await TryAsync("iptables", "-w", "-F", ForwardChain);
            await TryAsync("iptables", "-w", "-X", ForwardChain);
        }
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
        [LoggerMessage(4310, LogLevel.Information, "IPv4 forwarding turned on for the pod network (net.ipv4.ip_forward=1)")]
        public static partial void ForwardingOn(ILogger logger);
    }
}
