using System.Text.Json.Nodes;
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

    public string Name => nameof(TaintToleration);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (node.Taints.Count == 0)
            return Status.Success;
        var tolerations = pod.Spec["tolerations"] as JsonArray;
        var untolerated = node.Taints.FirstOrDefault(t => t["effect"]?.ToString() is "NoSchedule" or "NoExecute" && !Tolerations.Tolerate(tolerations, t));
        return untolerated is null
            ? Status.Success
            : Status.Unresolvable($"node(s) had untolerated taint {{{untolerated["key"]}: {untolerated["value"]}}}");
    }

    /// <summary>The pod's tolerations that count for scoring: those for PreferNoSchedule or any effect.</summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        state.Write(StateKey, new JsonArray([.. (pod.Spec["tolerations"] as JsonArray ?? [])
            .Where(t => t?["effect"]?.ToString() is null or "" or "PreferNoSchedule").Select(t => t!.DeepClone())]));
        return Status.Success;
    }

    /// <summary>The number of PreferNoSchedule taints the pod leaves untolerated.</summary>
    public long Score(CycleState state, PodInfo pod, NodeInfo node) =>
        node.Taints.Count == 0
            ? 0
            : node.Taints.Count(t => t["effect"]?.ToString() == "PreferNoSchedule" && !Tolerations.Tolerate(state.Read<JsonArray>(StateKey), t));

    /// <summary>Fewer untolerated taints is better: 100 for none, scaled down to 0 for the most any node has.</summary>
    public void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores) => Scores.Normalize(scores, reverse: true);
}
