using System.Runtime.InteropServices;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// A number per topology domain, a node label's key and value (<c>topology.kubernetes.io/zone=a</c>): pods counted
/// for filtering, term weights summed for scoring. A domain whose number comes back to zero is forgotten.
/// </summary>
internal sealed class TopologyCounts
{
    private readonly Dictionary<(string Key, string Value), long> _counts;
    private readonly List<string> _keys;

    public TopologyCounts()
    {
        _counts = [];
        _keys = [];
    }

    private TopologyCounts(TopologyCounts other)
    {
        _counts = new Dictionary<(string Key, string Value), long>(other._counts);
        _keys = [.. other._keys];
    }

    public bool IsEmpty => _counts.Count == 0;

    public long this[string key, string value] => _counts.GetValueOrDefault((key, value));

    /// <summary>Adds <paramref name="amount"/> to the domain <paramref name="node"/> is in for <paramref name="key"/>; nothing if the node lacks that label.</summary>
    public void Add(NodeInfo node, string key, long amount)
    {
        if (!node.Labels.TryGetValue(key, out var value))
            return;
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, (key, value), out var existed);
        count += amount;
        if (count == 0)
            _counts.Remove((key, value));
        else if (!existed && !_keys.Contains(key))
            _keys.Add(key);
    }

    /// <summary>Whether some domain <paramref name="node"/> is in has a count above zero.</summary>
    public bool AnyPositive(NodeInfo node)
    {
        foreach (var key in _keys)
        {
            if (node.Labels.TryGetValue(key, out var value) && this[key, value] > 0)
                return true;
        }
        return false;
    }

    /// <summary>The numbers of all the domains <paramref name="node"/> is in, added up.</summary>
    public long Sum(NodeInfo node)
    {
        long sum = 0;
        foreach (var key in _keys)
        {
            if (node.Labels.TryGetValue(key, out var value))
                sum += this[key, value];
        }
        return sum;
    }

    public TopologyCounts Clone() => new(this);
}
