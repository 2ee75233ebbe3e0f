using Berth.Agent.Nodes;
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
        var system = LocalMachine.Identity();
        var logger = loggers.CreateLogger<NodeAgent>();
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var name = $"sim-{i}";
            var description = new NodeDescription(name, capacity, "127.0.0.1", system, LocalMachine.Labels(name, new Dictionary<string, string>()));
            return new NodeAgent(client, description, timing, time, logger);
        })];
    }
}
