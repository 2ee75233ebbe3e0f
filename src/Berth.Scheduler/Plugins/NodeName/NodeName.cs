using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeName;

/// <summary>A pod that names its node (<c>spec.nodeName</c>) fits that node only.</summary>
public sealed class NodeName : IFilterPlugin
{
    public const string ErrReason = "node(s) didn't match the requested node name";

    public string Name => nameof(NodeName);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        pod.Spec["nodeName"]?.ToString() is { Length: > 0 } wanted && wanted != node.Name ? Status.Unresolvable(ErrReason) : Status.Success;
}
