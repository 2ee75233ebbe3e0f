namespace Berth.Scheduler.Framework;

// The points of a scheduling cycle where plugins take part, in the order a pod meets them. A plugin is one sealed
// class implementing the points it needs; a profile says which plugins run at which point.

/// <summary>A scheduling plugin, known to configurations by its upstream name (<c>NodeResourcesFit</c>).</summary>
public interface IPlugin
{
    string Name { get; }
}

/// <summary>
/// Whether a pod may enter the active queue at all (a pod with scheduling gates may not). It runs on every change of a
/// waiting pod, so it sees the pod as the queue keeps it: what <see cref="PodInfo"/> holds without the spec.
/// </summary>
public interface IPreEnqueuePlugin : IPlugin
{
    Status PreEnqueue(PodInfo pod);
}

/// <summary>Looks at the pod once per cycle, before any node: computes what Filter will need, or rejects the pod outright.</summary>
public interface IPreFilterPlugin : IPlugin
{
    Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot);
}

/// <summary>Whether the pod may run on a node. Called for many nodes in parallel: no shared mutable state.</summary>
public interface IFilterPlugin : IPlugin
{
    Status Filter(CycleState state, PodInfo pod, NodeInfo node);
}

/// <summary>
/// Runs when no node fits, to make one fit (preemption): the node nominated for the pod, or why there is none.
/// Its <c>filters</c> ask the profile's PreFilters and Filters about a changed cluster.
/// </summary>
public interface IPostFilterPlugin : IPlugin
{
    PostFilterResult PostFilter(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyDictionary<string, Status> failures, IFilterRunner filters);
}

/// <summary>The profile's PreFilter and Filter plugins, for a what-if: would the pod fit this node of that cluster?</summary>
public interface IFilterRunner
{
    Status Fits(PodInfo pod, Snapshot snapshot, NodeInfo node);
}

/// <summary>Looks at the nodes that fit, once, before they are scored: the same list, in the same order, as Score gets.</summary>
public interface IPreScorePlugin : IPlugin
{
    Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible);
}

/// <summary>How good a feasible node is for the pod; after all are scored, the scores are brought to 0–<see cref="MaxScore"/>.</summary>
public interface IScorePlugin : IPlugin
{
    public const long MaxScore = 100;

    /// <summary>
    /// Scores each of <paramref name="nodes"/> into <paramref name="scores"/> (same order): one call a cycle, not one a
    /// node, since a cycle scores hundreds of nodes and a plugin reads its cycle state once.
    /// </summary>
    void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores);

    /// <summary>Rescales the raw scores of <paramref name="nodes"/> (same order) into 0–<see cref="MaxScore"/>; most plugins score in range already.</summary>
    void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
    }
}

/// <summary>Told when a pod is assumed onto a node, and when that assumption is taken back.</summary>
public interface IReservePlugin : IPlugin
{
    Status Reserve(CycleState state, PodInfo pod, string nodeName);

    void Unreserve(CycleState state, PodInfo pod, string nodeName);
}

/// <summary>Lets a chosen placement go on to binding, or denies it.</summary>
public interface IPermitPlugin : IPlugin
{
    Status Permit(CycleState state, PodInfo pod, string nodeName);
}

/// <summary>Prepares what binding needs (volumes, later), off the scheduling loop.</summary>
public interface IPreBindPlugin : IPlugin
{
    Task<Status> PreBindAsync(CycleState state, PodInfo pod, string nodeName, CancellationToken cancellationToken);
}

/// <summary>Binds the pod to the node. The first bind plugin that does not skip the pod binds it.</summary>
public interface IBindPlugin : IPlugin
{
    Task<Status> BindAsync(CycleState state, PodInfo pod, string nodeName, CancellationToken cancellationToken);
}
