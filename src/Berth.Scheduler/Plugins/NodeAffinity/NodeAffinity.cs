using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeAffinity;

/// <summary>
/// The pod's nodeSelector and required node affinity must match the node's labels (and name); among the nodes that
/// fit, the weights of the preferred terms a node matches add up to its score, scaled so the best scores 100.
/// </summary>
public sealed class NodeAffinity : IFilterPlugin, IScorePlugin
{
    public const string ErrReason = "node(s) didn't match Pod's node affinity/selector";

    public string Name => nameof(NodeAffinity);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        NodeSelection.Matches(pod.Spec, node.Name, node.Labels) ? Status.Success : Status.Unresolvable(ErrReason);

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        long sum = 0;
        foreach (var preferred in (pod.Spec["affinity"]?["nodeAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var weight = preferred["weight"] is JsonValue w && w.TryGetValue<int>(out var value) ? value : 0;
            if (weight != 0 && preferred["preference"] is JsonObject term && NodeSelection.MatchesTerm(term, node.Name, node.Labels))
                sum += weight;
        }
        return sum;
    }

    public void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores) => Scores.Normalize(scores, reverse: false);
}
