using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodePorts;

/// <summary>The host ports the pod asks for must be free on the node.</summary>
public sealed class NodePorts : IFilterPlugin
{
    public const string ErrReason = "node(s) didn't have free ports for the requested pod ports";

    public string Name => nameof(NodePorts);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        pod.HostPorts.Count > 0 && Collides(pod.HostPorts, node.UsedPorts) ? Status.Unschedulable(ErrReason) : Status.Success;

    // Apart from Filter, so that a pod without host ports (nearly every pod, on every node) allocates no closure.
    private static bool Collides(IReadOnlyList<HostPort> wanted, IEnumerable<HostPort> used) =>
        used.Any(u => wanted.Any(w => w.CollidesWith(u)));
}
