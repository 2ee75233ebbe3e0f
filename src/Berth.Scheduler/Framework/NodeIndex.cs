using System.Runtime.InteropServices;

namespace Berth.Scheduler.Framework;

/// <summary>
/// What plugins would otherwise find by walking every node in every cycle: the nodes with pods whose pod affinity
/// terms add to other pods' scores, and on how many nodes each image is. The cache keeps it current as nodes and pods
/// change; a what-if snapshot builds its own from its nodes.
/// </summary>
public sealed class NodeIndex
{
    private readonly Dictionary<string, NodeInfo> _withScoringTerms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _imageNodes = new(StringComparer.Ordinal);

    public NodeIndex()
    {
    }

    public NodeIndex(IEnumerable<NodeInfo> nodes)
    {
        foreach (var node in nodes)
            Replace(null, node);
    }

    public IReadOnlyCollection<NodeInfo> WithScoringTerms => _withScoringTerms.Values;

    public int NodesWithImage(string image) => _imageNodes.GetValueOrDefault(image);

    /// <summary>A node added (<paramref name="before"/> null), changed, or removed (<paramref name="after"/> null).</summary>
    public void Replace(NodeInfo? before, NodeInfo? after)
    {
        foreach (var image in before?.Images.Keys ?? Enumerable.Empty<string>())
        {
            if (--CollectionsMarshal.GetValueRefOrNullRef(_imageNodes, image) == 0)
                _imageNodes.Remove(image);
        }
        foreach (var image in after?.Images.Keys ?? Enumerable.Empty<string>())
            CollectionsMarshal.GetValueRefOrAddDefault(_imageNodes, image, out _)++;
        if (before is not null)
            _withScoringTerms.Remove(before.Name);
        if (after is not null)
            PodsChanged(after);
    }

    /// <summary>Pods were added to or removed from the node.</summary>
    public void PodsChanged(NodeInfo node)
    {
        if (node.PodsWithScoringTerms.Count > 0)
            _withScoringTerms[node.Name] = node;
        else
            _withScoringTerms.Remove(node.Name);
    }
}
