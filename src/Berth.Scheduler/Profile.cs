using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// A scheduler profile: the name pods select it by (<c>spec.schedulerName</c>), the plugins at each extension point in
/// order (a score plugin with its weight), and how many nodes a cycle looks at (<c>percentageOfNodesToScore</c>; null
/// for upstream's adaptive default).
/// </summary>
public sealed record Profile(
    string SchedulerName,
    IReadOnlyList<IPreEnqueuePlugin> PreEnqueue,
    IReadOnlyList<IPreFilterPlugin> PreFilters,
    IReadOnlyList<IFilterPlugin> Filters,
    IReadOnlyList<IPostFilterPlugin> PostFilters,
    IReadOnlyList<IPreScorePlugin> PreScorers,
    IReadOnlyList<(IScorePlugin Plugin, int Weight)> Scorers,
    IReadOnlyList<IReservePlugin> Reservers,
    IReadOnlyList<IPermitPlugin> Permits,
    IReadOnlyList<IPreBindPlugin> PreBinders,
    IReadOnlyList<IBindPlugin> Binders,
    int? PercentageOfNodesToScore) : IFilterRunner
{
    /// <summary>Runs every PreFilter; the first that does not pass (or skip) decides.</summary>
    public Status RunPreFilters(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        foreach (var plugin in PreFilters)
        {
            var status = plugin.PreFilter(state, pod, snapshot);
            if (status.Code == StatusCode.Skip)
                state.SkippedFilters.Add(plugin.Name);
            else if (!status.IsSuccess)
                return status;
        }
        return Status.Success;
    }

    /// <summary>Runs the filters in order; the first that fails speaks for the node.</summary>
    public Status RunFilters(CycleState state, PodInfo pod, NodeInfo node)
    {
        var filters = state.ActiveFilters(Filters);
        for (var i = 0; i < filters.Length; i++)
        {
            var status = filters[i].Filter(state, pod, node);
            if (!status.IsSuccess)
                return status;
        }
        return Status.Success;
    }

    /// <summary>Whether the pod fits a node of a what-if cluster (preemption's question): PreFilter again, then Filter.</summary>
    public Status Fits(PodInfo pod, Snapshot snapshot, NodeInfo node)
    {
        var state = new CycleState();
        var preFilter = RunPreFilters(state, pod, snapshot);
        return preFilter.IsSuccess ? RunFilters(state, pod, node) : preFilter;
    }

    /// <summary>
    /// Scores the feasible nodes: PreScore once, each plugin over every node, normalised into 0–100, then summed by
    /// weight. The totals come back in the order of <paramref name="feasible"/>.
    /// </summary>
    public long[] RunScorers(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        foreach (var plugin in PreScorers)
        {
            var status = plugin.PreScore(state, pod, snapshot, feasible);
            if (status.Code == StatusCode.Skip)
                state.SkippedScores.Add(plugin.Name);
        }
        var totals = new long[feasible.Count];
        var scores = new long[feasible.Count];
        foreach (var (plugin, weight) in Scorers)
        {
            if (state.SkippedScores.Contains(plugin.Name))
                continue;
            plugin.Score(state, pod, feasible, scores);
            plugin.Normalize(state, pod, feasible, scores);
            for (var i = 0; i < feasible.Count; i++)
                totals[i] += scores[i] * weight;
        }
        return totals;
    }
}
