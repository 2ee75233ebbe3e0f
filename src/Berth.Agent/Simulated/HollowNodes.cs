using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;
using Berth.Client;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Simulated;

/// <summary>
/// Hollow nodes (as kubemark or KWOK have them): <c>sim-0</c> … <c>sim-N-1</c>, served from one process over one
/// client, each with its own Node, Lease and heartbeat, and no containers behind them.
/// </summary>
public static class HollowNodes
{
    public static IReadOnlyList<NodeAgent> Create(ApiClient client, int count, NodeCapacity capacity, NodeAgentTiming timing, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger<NodeAgent>();
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var name = $"sim-{i}";
            var runtime = new SimulatedRuntime(PodAddressPrefix(i + 1), time);
            var description = new NodeDescription(name, capacity, "127.0.0.1", LocalMachine.Identity() with { ContainerRuntimeVersion = runtime.Version },
                LocalMachine.Labels(name, new Dictionary<string, string>()));
            return new NodeAgent(client, description, timing, time, logger, new PodLifecycle(client, runtime, runtime, name, "127.0.0.1", time, loggers));
        })];
    }

    /// <summary>
    /// The first three octets of node <paramref name="index"/>'s pod addresses: a /24 of the cluster's 10.42.0.0/16
    /// and beyond, as node IPAM would give (index 0 is the server's own node).
    /// </summary>
    public static string PodAddressPrefix(int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"10.{42 + (index / 256)}.{index % 256}");
}
