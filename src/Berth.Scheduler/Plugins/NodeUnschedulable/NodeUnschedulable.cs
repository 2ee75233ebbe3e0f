using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeUnschedulable;

/// <summary>A cordoned node (<c>spec.unschedulable</c>) takes only pods that tolerate its unschedulable taint.</summary>
public sealed class NodeUnschedulable : IFilterPlugin
{
    public const string ErrReason = "node(s) were unschedulable";

    private static readonly Taint UnschedulableTaint = new("node.kubernetes.io/unschedulable", "", "NoSchedule");

    public string Name => nameof(NodeUnschedulable);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        node.Unschedulable && !Tolerations.Tolerate(pod.Tolerations, UnschedulableTaint) ? Status.Unresolvable(ErrReason) : Status.Success;
}
