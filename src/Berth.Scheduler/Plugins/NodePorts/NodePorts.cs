using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodePorts;

/// <summary>The host ports the pod asks for must be free on the node.</summary>
public sealed class NodePorts : IFilterPlugin
{
    public const string ErrReason = "node(s) didn't have free ports for the requested pod ports";

    public string Name => nameof(NodePorts);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        pod.HostPorts.Count > 0 && node.UsedPorts.Any(used => pod.HostPorts.Any(wanted => wanted.CollidesWith(used)))
            ? Status.Unschedulable(ErrReason)
            : Status.Success;
}
