using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;
using Berth.Client;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Simulated;

/// <summary>
/// Hollow nodes (as kubemark or KWOK have them): <c>sim-0</c> … <c>sim-N-1</c>, served from one process over one
/// client, each with its own Node, Lease, heartbeat and pod handling on a simulated runtime, and one pod watch, one
/// Service watch and one node watch for all. Without pod handling (<c>runPods: false</c>) they only register and
/// heartbeat, as the nodes of upstream's scheduler_perf, which have no kubelet: the pods bound to them stay Pending.
/// </summary>
public sealed class HollowNodes
{
    private readonly BoundPods? _pods;
    private readonly ServiceLinks? _services;
    private readonly NodeWatch _shown;

    private HollowNodes(BoundPods? pods, ServiceLinks? services, NodeWatch shown, IReadOnlyList<NodeAgent> agents)
    {
        _pods = pods;
        _services = services;
        _shown = shown;
        Agents = agents;
    }

    public IReadOnlyList<NodeAgent> Agents { get; }

    public static HollowNodes Create(ApiClient client, int count, NodeCapacity capacity, NodeAgentTiming timing, TimeProvider time, ILoggerFactory loggers,
        bool runPods = true)
    {
        var logger = loggers.CreateLogger<NodeAgent>();
        var pods = runPods ? new BoundPods(client, nodeName: null, loggers) : null;
        var services = runPods ? new ServiceLinks(client, loggers) : null;
        var shown = new NodeWatch(client, nodeName: null, loggers.CreateLogger<NodeWatch>());
        return new HollowNodes(pods, services, shown, [.. Enumerable.Range(0, count).Select(i =>
        {
            var name = $"sim-{i}";
            var network = new PodNetwork();
            var runtime = new SimulatedRuntime(network, time);
            var description = new NodeDescription(name, capacity, "127.0.0.1", LocalMachine.Identity(runtime.Version),
                LocalMachine.Labels(name, new Dictionary<string, string>()));
            return pods is null
                ? new NodeAgent(client, description, timing, time, logger, shownNodes: shown)
                : new NodeAgent(client, description, timing, time, logger, new PodLifecycle(client, runtime, runtime, name, "127.0.0.1", time, loggers, pods, sharedServices: services, sharedNodes: shown), network, shown);
        })]);
    }

    /// <summary>Runs every hollow node and their shared watches until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll([RunWatchesAsync(cancellationToken), .. Agents.Select(a => a.RunAsync(cancellationToken))]);

    /// <summary>Runs only the shared pod, Service and node watches, for a caller that runs (and stops) the <see cref="Agents"/> one by one.</summary>
    public Task RunWatchesAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_pods?.RunAsync(cancellationToken) ?? Task.CompletedTask, _services?.RunAsync(cancellationToken) ?? Task.CompletedTask, _shown.RunAsync(cancellationToken));
}
