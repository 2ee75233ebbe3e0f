using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeAffinity;

/// <summary>The pod's nodeSelector and required node affinity must match the node's labels (and name).</summary>
public sealed class NodeAffinity : IFilterPlugin
{
    public const string ErrReason = "node(s) didn't match Pod's node affinity/selector";

    public string Name => nameof(NodeAffinity);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        NodeSelection.Matches(pod.Spec, node.Name, node.Labels) ? Status.Success : Status.Unresolvable(ErrReason);
}
