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
    /// <summary>
    /// Nominated pods by uid, with their node, and whether the watch has shown the nomination in the pod's status yet:
    /// until then a status without one is only behind.
    /// </summary>
    private readonly ConcurrentDictionary<string, (PodInfo Pod, string Node, bool Shown)> _nominated = new(StringComparer.Ordinal);

    /// <summary>
    /// Notes a pending pod's nomination as the watch shows its status. A status without one ends a nomination it has
    /// shown before (one this scheduler took back, or any cleared), not one made moments ago whose write is on its way.
    /// </summary>
    public void Set(PodInfo pod)
    {
        if (pod.NominatedNodeName.Length > 0)
            _nominated[pod.Uid] = (pod, pod.NominatedNodeName, true);
        else if (_nominated.TryGetValue(pod.Uid, out var known) && known.Shown)
            _nominated.TryRemove(KeyValuePair.Create(pod.Uid, known));
    }

    /// <summary>Notes a nomination the scheduler just made, before the status write comes back through the watch.</summary>
    public void Set(PodInfo pod, string nodeName) => _nominated[pod.Uid] = (pod, nodeName, false);

    public void Remove(string uid) => _nominated.TryRemove(uid, out _);

    /// <summary>
    /// Ends the nominations to <paramref name="nodeName"/> of pods of lower priority than <paramref name="preemptor"/>,
    /// which preemption just made room there for, and returns those pods: as upstream, they look for another place.
    /// </summary>
    public List<PodInfo> TakeBack(PodInfo preemptor, string nodeName)
    {
        var displaced = new List<PodInfo>();
        foreach (var (uid, nominated) in _nominated)
        {
            if (nominated.Node == nodeName && nominated.Pod.Priority < preemptor.Priority && _nominated.TryRemove(KeyValuePair.Create(uid, nominated)))
                displaced.Add(nominated.Pod);
        }
        return displaced;
    }

    public bool IsEmpty => _nominated.IsEmpty;

    /// <summary>The pods nominated to each node that <paramref name="pod"/> must leave room for: of its priority or higher, other than itself.</summary>
    public Dictionary<string, List<PodInfo>> Ahead(PodInfo pod)
    {
        var ahead = new Dictionary<string, List<PodInfo>>(StringComparer.Ordinal);
        foreach (var (uid, (nominated, node, _)) in _nominated)
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
