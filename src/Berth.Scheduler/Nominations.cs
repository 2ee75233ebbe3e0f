using System.Collections.Concurrent;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// Pods waiting for a node that preemption cleared for them (<c>status.nominatedNodeName</c>). Until they are bound,
/// pods of lower or equal priority are filtered as if the nominated pods were already there, so they do not take the
/// room made for them.
/// </summary>
internal sealed class Nominations
{
    /// <summary>Nominated pods by uid, with their node.</summary>
    private readonly ConcurrentDictionary<string, (PodInfo Pod, string Node)> _nominated = new(StringComparer.Ordinal);

    /// <summary>Notes a pending pod's nomination as its status says (or that it has none).</summary>
    public void Set(PodInfo pod) => Set(pod, pod.NominatedNodeName);

    /// <summary>Notes a nomination the scheduler just made, before the status write comes back through the watch.</summary>
    public void Set(PodInfo pod, string nodeName)
    {
        // A status without a nomination may only be behind one made moments ago: nominations end with Remove.
        if (nodeName.Length == 0)
            return;
        _nominated[pod.Uid] = (pod, nodeName);
    }

    public void Remove(string uid) => _nominated.TryRemove(uid, out _);

    public bool IsEmpty => _nominated.IsEmpty;

    /// <summary>The pods nominated to each node that <paramref name="pod"/> must leave room for: of its priority or higher, other than itself.</summary>
    public Dictionary<string, List<PodInfo>> Ahead(PodInfo pod)
    {
        var ahead = new Dictionary<string, List<PodInfo>>(StringComparer.Ordinal);
        foreach (var (uid, (nominated, node)) in _nominated)
        {
            if (uid == pod.Uid || nominated.Priority < pod.Priority)
                continue;
            if (!ahead.TryGetValue(node, out var list))
                ahead[node] = list = [];
            list.Add(nominated);
        }
        return ahead;
    }

    /// <summary>The node nominated for a pod, if any.</summary>
    public string? NodeOf(string uid) => _nominated.TryGetValue(uid, out var nominated) ? nominated.Node : null;
}
