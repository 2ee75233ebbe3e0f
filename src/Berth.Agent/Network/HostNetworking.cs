using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Network;

/// <summary>
/// What the pod network needs of the host, set deliberately before any pod starts: blackhole routes for the cluster's
/// pod and service CIDRs (a node's own pod CIDR is more specific and wins while its bridge exists), IPv4 forwarding
/// on (pods reach services through the host), and a <c>BERTH-FORWARD</c> chain accepting forwarded traffic from
/// and to pods whatever the FORWARD policy. <see cref="Remove"/> takes all of it down again.
/// </summary>
public static partial class HostNetworking
{
    public const string ForwardChain = "BERTH-FORWARD";

    /// <summary>Above any route a network interface adds, so a bridge's own subnet always wins.</summary>
    private const string BlackholeMetric = "4000";

    public static void Ensure(PodNetworkSettings settings, ILogger logger)
    {
        foreach (var cidr in new[] { settings.ClusterCidr, settings.ServiceCidr })
            Run("ip", "route", "replace", "blackhole", cidr, "metric", BlackholeMetric);
        if (File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim() != "1")
        {
            File.WriteAllText("/proc/sys/net/ipv4/ip_forward", "1");
            Log.ForwardingOn(logger);
        }
        if (!Try("iptables", "-w", "-n", "-L", ForwardChain))
            Run("iptables", "-w", "-N", ForwardChain);
        Run("iptables", "-w", "-F", ForwardChain);
        Run("iptables", "-w", "-A", ForwardChain, "-s", settings.ClusterCidr, "-j", "ACCEPT", "-m", "comment", "--comment", "berth: from pods");
        Run("iptables", "-w", "-A", ForwardChain, "-d", settings.ClusterCidr, "-j", "ACCEPT", "-m", "comment", "--comment", "berth: to pods");
        if (!Try("iptables", "-w", "-C", "FORWARD", "-j", ForwardChain))
            Run("iptables", "-w", "-I", "FORWARD", "1", "-j", ForwardChain);
    }

    /// <summary>Takes down the routes, the forwarding chain and the bridge (with whatever CNI's portmap left behind for it).</summary>
    public static void Remove(PodNetworkSettings settings)
    {
        foreach (var cidr in new[] { settings.ClusterCidr, settings.ServiceCidr })
            Try("ip", "route", "del", "blackhole", cidr, "metric", BlackholeMetric);
        while (Try("iptables", "-w", "-D", "FORWARD", "-j", ForwardChain))
        {
        }
        if (Try("iptables", "-w", "-n", "-L", ForwardChain))
        {
            Try("iptables", "-w", "-F", ForwardChain);
            Try("iptables", "-w", "-X", ForwardChain);
        }
        Try("ip", "link", "del", settings.Bridge);
    }

    private static void Run(string program, params string[] arguments)
    {
        var (code, error) = Execute(program, arguments);
        if (code != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({code}): {error.Trim()}");
    }

    private static bool Try(string program, params string[] arguments) => Execute(program, arguments).Code == 0;

    private static (int Code, string Error) Execute(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started");
        // Output is drained in the background so that neither pipe can fill and stall the program.
        _ = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }

    private static partial class Log
    {
        [LoggerMessage(4310, LogLevel.Information, "IPv4 forwarding turned on for the pod network (net.ipv4.ip_forward=1)")]
        public static partial void ForwardingOn(ILogger logger);
    }
}
