using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Cache;

/// <summary>
/// The nodes and what the pods on them take, kept from the watches, plus pods the scheduler has *assumed* onto a node
/// while their binding is in flight, so the next pod is placed knowing about them. A cycle reads it under its lock.
/// </summary>
internal sealed class SchedulerCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);

    /// <summary>The same nodes in a stable order, so that cycles can start where the last one stopped.</summary>
    private readonly List<NodeInfo> _ordered = [];

    /// <summary>Pods bound or assumed, by uid: their node and claim (kept for nodes not seen yet too).</summary>
    private readonly Dictionary<string, PodEntry> _placed = new(StringComparer.Ordinal);

    private readonly NodeIndex _index = new();

    /// <summary>The pods on known nodes, by label, for InterPodAffinity.</summary>
    private readonly PlacedPods _pods = new();

    public void SetNode(JsonObject node)
    {
        var name = node["metadata"]?["name"]?.ToString() ?? "";
        lock (_gate)
        {
            if (_nodes.TryGetValue(name, out var known))
            {
                var updated = _nodes[name] = known.With(node);
                _ordered[_ordered.IndexOf(known)] = updated;
                _index.Replace(known, updated);
                return;
            }
            var info = new NodeInfo(node);
            foreach (var pod in _placed.Values.Where(p => p.NodeName == name))
            {
                info.AddPod(pod.Info);
                _pods.Add(pod.Info, name);
            }
            _nodes[name] = info;
            _ordered.Add(info);
            _index.Replace(null, info);
        }
    }

    public void RemoveNode(string name)
    {
        lock (_gate)
        {
            if (_nodes.Remove(name, out var removed))
            {
                _ordered.Remove(removed);
                foreach (var pod in removed.Pods)
                    _pods.Remove(pod);
                _index.Replace(removed, null);
            }
        }
    }

    /// <summary>
    /// A pod bound to a node, or finished: then it takes nothing any more. A pod being deleted still takes its share
    /// until it is gone, so that a preemptor waits for its victims to leave.
    /// </summary>
    public void SetPod(PodEntry pod)
    {
        lock (_gate)
        {
            Unplace(pod.Uid);
            if (!pod.Finished && pod.NodeName.Length > 0)
                Place(pod);
        }
    }

    public void RemovePod(string uid)
    {
        lock (_gate)
            Unplace(uid);
    }

    /// <summary>Counts a pod on a node before its binding is confirmed.</summary>
    public void Assume(PodEntry pod, string nodeName)
    {
        lock (_gate)
        {
            Unplace(pod.Uid);
            Place(pod with { NodeName = nodeName });
        }
    }

    /// <summary>Takes back an assumption whose binding failed.</summary>
    public void Forget(string uid) => RemovePod(uid);

    /// <summary>Runs <paramref name="read"/> over the cluster with nothing changing meanwhile.</summary>
    public T Read<T>(Func<Snapshot, T> read)
    {
        lock (_gate)
            return read(new Snapshot(_ordered, Namespaces, _index, _nodes, _pods));
    }

    public NamespaceLabels Namespaces { get; } = new();

    private void Place(PodEntry pod)
    {
        _placed[pod.Uid] = pod;
        if (_nodes.TryGetValue(pod.NodeName, out var node))
        {
            node.AddPod(pod.Info);
            _index.PodsChanged(node);
            _pods.Add(pod.Info, node.Name);
        }
    }

    private void Unplace(string uid)
    {
        if (_placed.Remove(uid, out var before) && _nodes.TryGetValue(before.NodeName, out var node))
        {
            node.RemovePod(uid);
            _index.PodsChanged(node);
            _pods.Remove(before.Info);
        }
    }
}
