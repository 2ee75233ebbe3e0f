using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// Spreads pods over topology domains (zones, nodes: the values of a node label) by their
/// <c>topologySpreadConstraints</c>, as upstream does. A domain's count is the number of pods there that the
/// constraint selects, in the pod's namespace and not terminating, over the nodes that have every constraint's key
/// and that the inclusion policies admit. <c>DoNotSchedule</c> constraints filter: a node fails when its domain's
/// count, plus one if the pod selects itself, exceeds the smallest domain's count by more than <c>maxSkew</c> (the
/// smallest counts as 0 while there are fewer domains than <c>minDomains</c>). <c>ScheduleAnyway</c> constraints
/// score: fewer selected pods in a node's domains is better. A pod with no constraints of its own gets the default
/// constraints (upstream's System defaults: maxSkew 3 per hostname, 5 per zone, both ScheduleAnyway) with the
/// selector of the Services that select it and of the controller that owns it; none if there is no such selector.
/// </summary>
public sealed class PodTopologySpread(OwnerSelectors owners, IReadOnlyList<SpreadConstraint> defaultConstraints, bool systemDefaulted)
    : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
    public const string ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)";
    public const string Hostname = "kubernetes.io/hostname";
    public const string Zone = "topology.kubernetes.io/zone";

    private const string PreFilterKey = "PreFilter" + nameof(PodTopologySpread);
    private const string PreScoreKey = "PreScore" + nameof(PodTopologySpread);

    private static readonly Status ConstraintsNotMatch = Status.Unschedulable(ErrReasonConstraintsNotMatch);
    private static readonly Status NodeLabelNotMatch = Status.Unresolvable(ErrReasonNodeLabelNotMatch);
    private static readonly Status NoPreFilterState = new(StatusCode.Error, [$"reading \"{PreFilterKey}\" from cycleState: not found"]);

    /// <summary>A plugin with upstream's System default constraints.</summary>
    public PodTopologySpread(OwnerSelectors owners)
        : this(owners, SystemDefaults, systemDefaulted: true)
    {
    }

    /// <summary>Upstream's <c>defaultingType: System</c> constraints.</summary>
    public static IReadOnlyList<SpreadConstraint> SystemDefaults { get; } =
    [
        new(3, Hostname, SpreadConstraint.ScheduleAnyway, null, 1, HonorNodeAffinity: true, HonorNodeTaints: false),
        new(5, Zone, SpreadConstraint.ScheduleAnyway, null, 1, HonorNodeAffinity: true, HonorNodeTaints: false),
    ];

    public string Name => nameof(PodTopologySpread);

    /// <summary>Counts the selected pods per domain of each DoNotSchedule constraint, and each constraint's smallest count.</summary>
    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var constraints = Constraints(pod, SpreadConstraint.DoNotSchedule);
        if (constraints.Length == 0)
            return Status.Skip;
        var counts = new Dictionary<string, int>[constraints.Length];
        for (var i = 0; i < constraints.Length; i++)
            counts[i] = new(StringComparer.Ordinal);
        var counted = Array.ConvertAll(constraints, c => SelectedCounts.Of(c.Counted(pod.Namespace), snapshot));
        var selective = SelectsNodes(pod);
        foreach (var node in snapshot.Nodes)
        {
            if (!SpreadConstraint.HasAllKeys(node.Labels, constraints))
                continue;
            var matchesAffinity = !selective || pod.NodeSelection.Matches(node.Name, node.Labels);
            for (var i = 0; i < constraints.Length; i++)
            {
                var constraint = constraints[i];
                if (!constraint.Includes(pod, node, matchesAffinity))
                    continue;
                CollectionsMarshal.GetValueRefOrAddDefault(counts[i], node.Labels[constraint.TopologyKey], out _) += counted[i].On(node);
            }
        }
        var globalMin = new int[constraints.Length];
        var selfMatch = new int[constraints.Length];
        for (var i = 0; i < constraints.Length; i++)
        {
            globalMin[i] = counts[i].Count < constraints[i].MinDomains ? 0 : counts[i].Values.Min();
            selfMatch[i] = constraints[i].Selects(pod.Labels) ? 1 : 0;
        }
        state.Write(PreFilterKey, new FilterState(constraints, counts, globalMin, selfMatch));
        return Status.Success;
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<FilterState>(PreFilterKey) is not { } prepared)
            return NoPreFilterState;
        for (var i = 0; i < prepared.Constraints.Length; i++)
        {
            var constraint = prepared.Constraints[i];
            if (!node.Labels.TryGetValue(constraint.TopologyKey, out var value))
                return NodeLabelNotMatch;
            var skew = prepared.Counts[i].GetValueOrDefault(value) + prepared.SelfMatch[i] - prepared.GlobalMin[i];
            if (skew > constraint.MaxSkew)
                return ConstraintsNotMatch;
        }
        return Status.Success;
    }

    /// <summary>
    /// For the ScheduleAnyway constraints (or the defaults), each feasible node's score: the selected pods in each of
    /// its domains (counted over all nodes, but only for domains some feasible node is in; the node's own pods for the
    /// hostname key), weighted by the log of the constraint's number of domains plus 2, plus <c>maxSkew − 1</c>;
    /// lower is better. The feasible nodes lacking a topology key are left out, and score 0.
    /// </summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        if (snapshot.Nodes.Count == 0)
            return Status.Skip;
        var constraints = Constraints(pod, SpreadConstraint.ScheduleAnyway);
        if (constraints.Length == 0)
            return Status.Skip;
        // Only the System defaults let a node lacking the zone label still be spread over by hostname.
        var requireAllKeys = OwnConstraints(pod) is not null || !systemDefaulted;
        // Each node is asked, not the label index: scoring reads the feasible nodes, which remember their counts
        // between cycles. With the index here, bench-density's startup p99 went from 0.8 s to 2.5 s (why is not
        // found yet).
        var counted = Array.ConvertAll(constraints, c => SelectedCounts.Walked(c.Counted(pod.Namespace)));

        // Each feasible node's value of each constraint's key, looked up once (null where it has none); a node lacking
        // a required key is not scored.
        var values = new string?[constraints.Length][];
        var scored = new bool[feasible.Count];
        var scoredCount = 0;
        var domainCounts = new Dictionary<string, long>[constraints.Length];
        // Whether any scored node has the constraint's key: only such a node's score reads its domain's count.
        var read = new bool[constraints.Length];
        for (var i = 0; i < constraints.Length; i++)
        {
            values[i] = new string?[feasible.Count];
            domainCounts[i] = new(StringComparer.Ordinal);
        }
        for (var n = 0; n < feasible.Count; n++)
        {
            var labels = feasible[n].Labels;
            var hasAllKeys = true;
            for (var i = 0; i < constraints.Length; i++)
            {
                labels.TryGetValue(constraints[i].TopologyKey, out var value);
                values[i][n] = value;
                hasAllKeys &= value is not null;
            }
            if (requireAllKeys && !hasAllKeys)
                continue;
            scored[n] = true;
            scoredCount++;
            for (var i = 0; i < constraints.Length; i++)
            {
                if (constraints[i].TopologyKey == Hostname)
                    continue;
                read[i] |= values[i][n] is not null;
                domainCounts[i].TryAdd(values[i][n] ?? "", 0);
            }
        }
        var weights = new double[constraints.Length];
        for (var i = 0; i < constraints.Length; i++)
            weights[i] = Math.Log((constraints[i].TopologyKey == Hostname ? scoredCount : domainCounts[i].Count) + 2);

        var selective = SelectsNodes(pod);
        for (var i = 0; i < constraints.Length; i++)
        {
            var constraint = constraints[i];
            // Counting a zone's pods goes over every node: not done when no scored node is in any zone.
            if (constraint.TopologyKey == Hostname || !read[i])
                continue;
            foreach (var node in snapshot.Nodes)
            {
                if (requireAllKeys && !SpreadConstraint.HasAllKeys(node.Labels, constraints))
                    continue;
                var value = node.Labels.GetValueOrDefault(constraint.TopologyKey, "");
                if (!domainCounts[i].TryGetValue(value, out var count) || !constraint.Includes(pod, node, !selective || pod.NodeSelection.Matches(node.Name, node.Labels)))
                    continue;
                domainCounts[i][value] = count + counted[i].On(node);
            }
        }

        var scores = new long[feasible.Count];
        for (var n = 0; n < feasible.Count; n++)
        {
            if (!scored[n])
                continue;
            var score = 0.0;
            for (var i = 0; i < constraints.Length; i++)
            {
                if (values[i][n] is not { } value)
                    continue;
                var constraint = constraints[i];
                var count = constraint.TopologyKey == Hostname ? counted[i].On(feasible[n]) : domainCounts[i].GetValueOrDefault(value);
                score += (count * weights[i]) + (constraint.MaxSkew - 1);
            }
            scores[n] = (long)Math.Round(score, MidpointRounding.AwayFromZero);
        }
        state.Write(PreScoreKey, new ScoreState(scores, scored));
        return Status.Success;
    }

    /// <summary>The scores PreScore worked out for the same nodes; 0 for all when it skipped.</summary>
    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        if (state.Read<ScoreState>(PreScoreKey) is { } prepared)
            Array.Copy(prepared.Scores, scores, nodes.Count);
        else
            Array.Clear(scores, 0, nodes.Count);
    }

    /// <summary>
    /// Reversed into 0–100 between the lowest and highest score (<c>100 × (max + min − score) / max</c>); every node
    /// 100 when all scored 0; the nodes lacking a topology key 0.
    /// </summary>
    public void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        if (state.Read<ScoreState>(PreScoreKey) is not { } prepared)
            return;
        var (min, max) = (long.MaxValue, 0L);
        for (var i = 0; i < scores.Length; i++)
        {
            if (!prepared.Scored[i])
                continue;
            min = Math.Min(min, scores[i]);
            max = Math.Max(max, scores[i]);
        }
        for (var i = 0; i < scores.Length; i++)
        {
            if (!prepared.Scored[i])
                scores[i] = 0;
            else if (max == 0)
                scores[i] = IScorePlugin.MaxScore;
            else
                scores[i] = IScorePlugin.MaxScore * (max + min - scores[i]) / max;
        }
    }

    /// <summary>The pod's own constraints for <paramref name="action"/>; if it has none at all, the defaults for it, given a selector.</summary>
    private SpreadConstraint[] Constraints(PodInfo pod, string action)
    {
        if (OwnConstraints(pod) is { } own)
            return SpreadConstraint.Of(own, pod.Labels, action);
        if (!defaultConstraints.Any(c => c.WhenUnsatisfiable == action) || owners.For(pod) is not { } selector)
            return [];
        return [.. defaultConstraints.Where(c => c.WhenUnsatisfiable == action).Select(c => c with { Selector = selector })];
    }

    /// <summary>Whether the pod has a nodeSelector or required node affinity, which a node may fail to match.</summary>
    private static bool SelectsNodes(PodInfo pod) =>
        pod.Spec["nodeSelector"] is not null || pod.Spec["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] is not null;

    private static JsonArray? OwnConstraints(PodInfo pod) => pod.Spec["topologySpreadConstraints"] is JsonArray { Count: > 0 } own ? own : null;

    /// <summary>What Filter reads: per constraint, the count per domain, the smallest count (0 below minDomains), and 1 if the pod selects itself.</summary>
    private sealed record FilterState(SpreadConstraint[] Constraints, Dictionary<string, int>[] Counts, int[] GlobalMin, int[] SelfMatch);

    /// <summary>What Score reads: the score of each feasible node that has every topology key.</summary>
    /// <summary>The raw score of each node PreScore saw, in its order, and whether it was scored at all.</summary>
    private sealed record ScoreState(long[] Scores, bool[] Scored);
}
