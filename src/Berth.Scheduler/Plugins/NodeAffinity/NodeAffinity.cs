using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeAffinity;

/// <summary>
/// The pod's nodeSelector and required node affinity must match the node's labels (and name); among the nodes that
/// fit, the weights of the preferred terms a node matches add up to its score, scaled so the best scores 100. A pod
/// that asks nothing of its node skips both.
/// </summary>
public sealed class NodeAffinity : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string ErrReason = "node(s) didn't match Pod's node affinity/selector";

    private const string StateKey = nameof(NodeAffinity);

    private static readonly Status NotMatched = Status.Unresolvable(ErrReason);

    public string Name => nameof(NodeAffinity);

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot) =>
        pod.NodeSelection.IsEmpty ? Status.Skip : Status.Success;

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        pod.NodeSelection.Matches(node.Name, node.Labels) ? Status.Success : NotMatched;

    /// <summary>The preferred terms with a weight, read once for all the nodes to score.</summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        PreferredTerm[] preferred = [.. (pod.Spec["affinity"]?["nodeAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(p => new PreferredTerm(p["weight"] is JsonValue w && w.TryGetValue<int>(out var weight) ? weight : 0, p["preference"] as JsonObject))
            .Where(p => p.Weight != 0 && p.Preference is not null)];
        if (preferred.Length == 0)
            return Status.Skip;
        state.Write(StateKey, preferred);
        return Status.Success;
    }

    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        var terms = state.Read<PreferredTerm[]>(StateKey)!;
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = Score(terms, nodes[i]);
    }

    private static long Score(PreferredTerm[] terms, NodeInfo node)
    {
        long sum = 0;
        foreach (var preferred in terms)
        {
            if (preferred.Term.Matches(node.Name, node.Labels))
                sum += preferred.Weight;
        }
        return sum;
    }

    public void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores) => Scores.Normalize(scores, reverse: false);

    private sealed record PreferredTerm(int Weight, JsonObject? Preference)
    {
        public NodeSelectorTerm Term { get; } = NodeSelectorTerm.Of(Preference ?? []);
    }
}
