using System.Runtime.InteropServices;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// How many pods a constraint counts on each node: those it selects there, in its namespace and not terminating.
/// Where the selector's candidates (the pods with its anchor label) are fewer than the nodes, they are matched once
/// per cycle from the snapshot's label index. Otherwise each node is asked, and it remembers its count until its pods
/// change. Pods of many small groups need the first: asking 1,000 nodes, whose memories hold 16 selectors, was most
/// of a spreading pod's cycle. A Deployment's own selector needs the second: every replica is a candidate, and
/// matching 30,000 of them each cycle made bench-density several times slower. A what-if snapshot (no index), a
/// selector without an anchor, and scoring (<see cref="Walked"/>) always ask the nodes.
/// </summary>
internal sealed class SelectedCounts
{
    private static readonly SelectedCounts Nothing = new(null, null);

    private readonly SelectedPods? _selected;
    private readonly Dictionary<string, int>? _byNode;

    private SelectedCounts(SelectedPods? selected, Dictionary<string, int>? byNode)
    {
        _selected = selected;
        _byNode = byNode;
    }

    /// <summary>The counts of <paramref name="selected"/> (null: a constraint that selects nothing) in <paramref name="snapshot"/>.</summary>
    public static SelectedCounts Of(SelectedPods? selected, Snapshot snapshot)
    {
        if (selected is null)
            return Nothing;
        if (snapshot.Pods is not { } placed || placed.CountSelectable(selected.Selector) is not { } count || count > snapshot.Nodes.Count
            || placed.Selectable(selected.Selector) is not { } candidates)
            return new SelectedCounts(selected, null);
        var byNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (pod, node) in candidates)
        {
            if (!pod.Terminating && pod.Namespace == selected.Namespace && selected.Selector.Matches(pod.Labels))
                CollectionsMarshal.GetValueRefOrAddDefault(byNode, node, out _)++;
        }
        return new SelectedCounts(selected, byNode);
    }

    /// <summary>The counts of <paramref name="selected"/> as each node works out its own.</summary>
    public static SelectedCounts Walked(SelectedPods? selected) => selected is null ? Nothing : new SelectedCounts(selected, null);

    /// <summary>The pods counted on <paramref name="node"/>.</summary>
    public int On(NodeInfo node) => (_selected, _byNode) switch
    {
        (null, _) => 0,
        (_, null) => node.CountSelected(_selected),
        ({ }, { Count: 0 }) => 0,
        _ => _byNode.GetValueOrDefault(node.Name),
    };
}
