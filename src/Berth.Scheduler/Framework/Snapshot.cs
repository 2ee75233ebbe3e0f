namespace Berth.Scheduler.Framework;

/// <summary>
/// The cluster as one scheduling cycle sees it: every node with its pods, in a stable order, the namespaces' labels,
/// and an index of the nodes some plugins look for. Nothing changes it during the cycle (the cache holds its lock);
/// what-ifs swap in a changed copy of a node.
/// </summary>
public sealed class Snapshot(IReadOnlyList<NodeInfo> nodes, NamespaceLabels namespaces, NodeIndex? index = null)
{
    private NodeIndex? _index = index;

    public IReadOnlyList<NodeInfo> Nodes { get; } = nodes;

    public NamespaceLabels Namespaces { get; } = namespaces;

    public NodeIndex Index => _index ??= new NodeIndex(Nodes);

    /// <summary>The same cluster with <paramref name="changed"/> in place of the node of the same name.</summary>
    public Snapshot With(NodeInfo changed) =>
        new([.. Nodes.Select(n => n.Name == changed.Name ? changed : n)], Namespaces);
}
