using System.Runtime.InteropServices;
using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The pods placed on nodes, indexed by label, and those with required anti-affinity indexed by the labels their
/// terms ask for. A pod with (anti-)affinity is placed by matching terms against pods; with this index a cycle
/// matches only the pods that carry a term's label (see <see cref="LabelSelector.Anchor"/>), not every pod of the
/// cluster. The cache keeps it current; what-if snapshots have none, since they change nodes behind it.
/// </summary>
public sealed class PlacedPods
{
    private readonly Dictionary<(string Key, string Value), Dictionary<string, Placed>> _byLabel = [];
    private readonly Dictionary<(string Key, string Value), Dictionary<string, Placed>> _antiAffinityByLabel = [];

    /// <summary>Pods with a required anti-affinity term whose selector has no anchor: any pod may be what it selects.</summary>
    private readonly Dictionary<string, Placed> _antiAffinityWithoutAnchor = new(StringComparer.Ordinal);

    /// <summary>A placed pod and the name of its node.</summary>
    public readonly record struct Placed(PodInfo Pod, string Node);

    /// <summary>An index of the pods on <paramref name="nodes"/>, as they are now.</summary>
    public static PlacedPods Of(IEnumerable<NodeInfo> nodes)
    {
        var placed = new PlacedPods();
        foreach (var node in nodes)
        {
            foreach (var pod in node.Pods)
                placed.Add(pod, node.Name);
        }
        return placed;
    }

    public void Add(PodInfo pod, string node)
    {
        var entry = new Placed(pod, node);
        foreach (var (key, value) in pod.Labels)
            Bucket(_byLabel, key, value)[pod.Uid] = entry;
        foreach (var term in pod.RequiredAntiAffinity)
        {
            if (term.Selector.Anchor is not { } anchor)
            {
                _antiAffinityWithoutAnchor[pod.Uid] = entry;
                continue;
            }
            foreach (var value in anchor.Values)
                Bucket(_antiAffinityByLabel, anchor.Key, value)[pod.Uid] = entry;
        }
    }

    /// <summary>Takes out a pod added before, the same <see cref="PodInfo"/>.</summary>
    public void Remove(PodInfo pod)
    {
        foreach (var (key, value) in pod.Labels)
            Unbucket(_byLabel, key, value, pod.Uid);
        foreach (var term in pod.RequiredAntiAffinity)
        {
            if (term.Selector.Anchor is not { } anchor)
            {
                _antiAffinityWithoutAnchor.Remove(pod.Uid);
                continue;
            }
            foreach (var value in anchor.Values)
                Unbucket(_antiAffinityByLabel, anchor.Key, value, pod.Uid);
        }
    }

    /// <summary>The placed pods <paramref name="selector"/> may select: those with its anchor's label; null when it has no anchor (any pod may).</summary>
    public IEnumerable<Placed>? Selectable(LabelSelector selector)
    {
        if (selector.Anchor is not { } anchor)
            return null;
        if (anchor.Values.Count == 1)
            return _byLabel.TryGetValue((anchor.Key, anchor.Values[0]), out var only) ? only.Values : [];
        // Each value once: a list may repeat one, and a pod must still be offered once.
        return anchor.Values.Distinct(StringComparer.Ordinal)
            .SelectMany(v => _byLabel.TryGetValue((anchor.Key, v), out var pods) ? pods.Values : Enumerable.Empty<Placed>());
    }

    /// <summary>How many placed pods <see cref="Selectable"/> would offer, at most; null when the selector has no anchor.</summary>
    public int? CountSelectable(LabelSelector selector)
    {
        if (selector.Anchor is not { } anchor)
            return null;
        var count = 0;
        foreach (var value in anchor.Values)
            count += _byLabel.TryGetValue((anchor.Key, value), out var pods) ? pods.Count : 0;
        return count;
    }

    /// <summary>
    /// The placed pods with a required anti-affinity term that may select <paramref name="pod"/>: a term anchored on one
    /// of the pod's labels, or one without an anchor. Each pod once.
    /// </summary>
    public IReadOnlyCollection<Placed> WithAntiAffinityFor(PodInfo pod)
    {
        Dictionary<string, Placed>? only = _antiAffinityWithoutAnchor.Count > 0 ? _antiAffinityWithoutAnchor : null;
        Dictionary<string, Placed>? union = null;
        foreach (var (key, value) in pod.Labels)
        {
            if (!_antiAffinityByLabel.TryGetValue((key, value), out var pods))
                continue;
            if (only is null)
            {
                only = pods;
                continue;
            }
            union ??= new Dictionary<string, Placed>(only, StringComparer.Ordinal);
            foreach (var (uid, placed) in pods)
                union[uid] = placed;
        }
        return union?.Values ?? only?.Values ?? (IReadOnlyCollection<Placed>)[];
    }

    private static Dictionary<string, Placed> Bucket(Dictionary<(string, string), Dictionary<string, Placed>> index, string key, string value)
    {
        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(index, (key, value), out _);
        return bucket ??= new Dictionary<string, Placed>(StringComparer.Ordinal);
    }

    private static void Unbucket(Dictionary<(string, string), Dictionary<string, Placed>> index, string key, string value, string uid)
    {
        if (index.TryGetValue((key, value), out var bucket) && bucket.Remove(uid) && bucket.Count == 0)
            index.Remove((key, value));
    }
}
