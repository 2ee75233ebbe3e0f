using System.Collections.Concurrent;
using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.TaintToleration;

/// <summary>
/// A node's NoSchedule and NoExecute taints keep off pods that do not tolerate them; the first one untolerated is
/// named, as upstream's message does: <c>node(s) had untolerated taint {key: value}</c>. Among the nodes that fit,
/// those with fewer untolerated PreferNoSchedule taints score higher.
/// </summary>
public sealed class TaintToleration : IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    private const string StateKey = nameof(TaintToleration);

    private const int MaxRemembered = 1024;

    /// <summary>
    /// The verdict for each taint seen, made once: a burst of pods meets the same tainted nodes (not yet Ready, say)
    /// hundreds of times a second, and a message per meeting was most of what scheduling allocated.
    /// </summary>
    private static readonly ConcurrentDictionary<(string Key, string Value), Status> Untolerated = new();

    public string Name => nameof(TaintToleration);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        // Indexed, not foreach: an enumerator through the interface would be an allocation per node per cycle.
        var taints = node.Taints;
        for (var i = 0; i < taints.Count; i++)
        {
            if (taints[i].KeepsOff && !Tolerations.Tolerate(pod.Tolerations, taints[i]))
                return Verdict(taints[i]);
        }
        return Status.Success;
    }

    private static Status Verdict(Taint taint)
    {
        if (Untolerated.TryGetValue((taint.Key, taint.Value), out var known))
            return known;
        var status = Status.Unresolvable($"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}");
        // Bounded, should a cluster's taints be many and ever-changing.
        if (Untolerated.Count < MaxRemembered)
            Untolerated.TryAdd((taint.Key, taint.Value), status);
        return status;
    }

    /// <summary>The pod's tolerations that count for scoring: those for PreferNoSchedule or any effect.</summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        state.Write(StateKey, pod.Tolerations.Where(t => t.Effect is "" or "PreferNoSchedule").ToArray());
        return Status.Success;
    }

    /// <summary>The number of PreferNoSchedule taints the pod leaves untolerated.</summary>
    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        var tolerations = state.Read<Toleration[]>(StateKey)!;
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = UntoleratedPreferences(nodes[i].Taints, tolerations);
    }

    private static long UntoleratedPreferences(IReadOnlyList<Taint> taints, Toleration[] tolerations)
    {
        long count = 0;
        for (var i = 0; i < taints.Count; i++)
        {
            if (taints[i].Effect == "PreferNoSchedule" && !Tolerations.Tolerate(tolerations, taints[i]))
                count++;
        }
        return count;
    }

    /// <summary>Fewer untolerated taints is better: 100 for none, scaled down to 0 for the most any node has.</summary>
    public void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores) => Scores.Normalize(scores, reverse: true);
}
