using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Scheduler.Configuration;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeAffinity;

/// <summary>
/// The pod's nodeSelector and required node affinity must match the node's labels (and name); among the nodes that
/// fit, the weights of the preferred terms a node matches add up to its score, scaled so the best scores 100. A pod
/// that asks nothing of its node skips both. The configuration's <c>addedAffinity</c> applies to every pod of the
/// profile besides its own: its required terms first, its preferred terms scored with the pod's.
/// </summary>
public sealed class NodeAffinity(NodeSelectorTerm[]? addedRequired, IReadOnlyList<NodeAffinity.PreferredTerm> addedPreferred)
    : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string ErrReason = "node(s) didn't match Pod's node affinity/selector";
    public const string ErrReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";

    private const string StateKey = nameof(NodeAffinity);

    private static readonly Status NotMatched = Status.Unresolvable(ErrReason);
    private static readonly Status NotEnforced = Status.Unresolvable(ErrReasonEnforced);

    public NodeAffinity()
        : this(null, [])
    {
    }

    public string Name => nameof(NodeAffinity);

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot) =>
        pod.NodeSelection.IsEmpty && addedRequired is null ? Status.Skip : Status.Success;

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (addedRequired is not null && !addedRequired.Any(t => t.Matches(node.Name, node.Labels)))
            return NotEnforced;
        return pod.NodeSelection.Matches(node.Name, node.Labels) ? Status.Success : NotMatched;
    }

    /// <summary>The preferred terms with a weight (the configuration's and the pod's), read once for all the nodes to score.</summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        PreferredTerm[] preferred = [.. addedPreferred, .. PreferredTerm.ReadAll(pod.Spec["affinity"]?["nodeAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"])];
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

    /// <summary>A preferred scheduling term: the weight a node matching it adds to its score.</summary>
    public sealed record PreferredTerm(int Weight, NodeSelectorTerm Term)
    {
        /// <summary>The terms of a <c>preferredDuringSchedulingIgnoredDuringExecution</c> list that have a weight and a preference.</summary>
        public static IEnumerable<PreferredTerm> ReadAll(JsonNode? list) =>
            (list as JsonArray ?? []).OfType<JsonObject>()
                .Where(p => p["preference"] is JsonObject && WeightOf(p) != 0)
                .Select(p => new PreferredTerm(WeightOf(p), NodeSelectorTerm.Of((JsonObject)p["preference"]!)));

        /// <summary>The term's weight (0 for none), from the API or from a YAML configuration.</summary>
        public static int WeightOf(JsonObject term) => PluginArgs.Int(term, "weight") ?? 0;
    }
}
