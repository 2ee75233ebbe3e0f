using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The cluster as one scheduling cycle sees it: every node with its pods, in a stable order, the namespaces' labels,
/// and indexes of what some plugins look for. Nothing changes it during the cycle (the cache holds its lock);
/// what-ifs swap in a changed copy of a node.
/// </summary>
public sealed class Snapshot(IReadOnlyList<NodeInfo> nodes, NamespaceLabels namespaces, NodeIndex? index = null, IReadOnlyDictionary<string, NodeInfo>? byName = null, PlacedPods? pods = null)
{
    private NodeIndex? _index = index;
    private IReadOnlyDictionary<string, NodeInfo>? _byName = byName;

    public IReadOnlyList<NodeInfo> Nodes { get; } = nodes;

    public NamespaceLabels Namespaces { get; } = namespaces;

    public NodeIndex Index => _index ??= new NodeIndex(Nodes);

    /// <summary>The placed pods by label; null in a what-if, whose changed node it would not follow (plugins then walk the nodes).</summary>
    public PlacedPods? Pods { get; } = pods;

    /// <summary>The node of that name in this snapshot; null for none.</summary>
    public NodeInfo? Node(string name)
    {
        _byName ??= Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        return _byName.GetValueOrDefault(name);
    }

    /// <summary>
    /// The placed pods <paramref name="selector"/> may select, with their nodes: those with its anchor label when the
    /// snapshot indexes pods, else every pod. The caller still matches each.
    /// </summary>
    public IEnumerable<(PodInfo Pod, NodeInfo Node)> Selectable(LabelSelector selector)
    {
        if (Pods?.Selectable(selector) is { } selectable)
        {
            foreach (var (pod, name) in selectable)
            {
                if (Node(name) is { } node)
                    yield return (pod, node);
            }
            yield break;
        }
        foreach (var node in Nodes)
        {
            foreach (var pod in node.Pods)
                yield return (pod, node);
        }
    }

    /// <summary>
    /// The placed pods with a required anti-affinity term that may select <paramref name="pod"/>, with their nodes:
    /// those the index finds, else every pod with such a term. The caller still matches each term.
    /// </summary>
    public IEnumerable<(PodInfo Pod, NodeInfo Node)> WithAntiAffinityFor(PodInfo pod)
    {
        if (Pods is { } placed)
        {
            foreach (var (existing, name) in placed.WithAntiAffinityFor(pod))
            {
                if (Node(name) is { } node)
                    yield return (existing, node);
            }
            yield break;
        }
        foreach (var node in Nodes)
        {
            var withAntiAffinity = node.PodsWithRequiredAntiAffinity;
            for (var i = 0; i < withAntiAffinity.Count; i++)
                yield return (withAntiAffinity[i], node);
        }
    }

    /// <summary>The same cluster with <paramref name="changed"/> in place of the node of the same name.</summary>
    public Snapshot With(NodeInfo changed) =>
        new([.. Nodes.Select(n => n.Name == changed.Name ? changed : n)], Namespaces);
}
