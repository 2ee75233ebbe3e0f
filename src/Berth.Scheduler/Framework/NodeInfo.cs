using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Core.Quantities;

namespace Berth.Scheduler.Framework;

/// <summary>
/// A node as one scheduling cycle sees it: its labels, taints, allocatable resources and images, and the pods on it
/// (bound or assumed) with what they take: their requests summed, their host ports, their number, and which of them
/// have pod (anti-)affinity terms that other pods' placement must respect.
/// </summary>
public sealed class NodeInfo
{
    private readonly Dictionary<string, PodInfo> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _requested = new(StringComparer.Ordinal);
    private readonly List<PodInfo> _withScoringTerms = [];
    private readonly List<PodInfo> _withRequiredAntiAffinity = [];

    /// <summary>How many selectors' counts a node remembers (a cycle asks for at most a few; what-ifs add some).</summary>
    private const int RememberedSelectors = 16;

    private readonly Lock _selectedGate = new();
    private Dictionary<SelectedPods, int>? _selected;

    public NodeInfo(JsonObject node)
    {
        Node = node;
        Name = node["metadata"]?["name"]?.ToString() ?? "";
        Labels = (node["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        // An untainted node shares the one empty list, which stays in the cache while every filter pass reads it.
        Taints = node["spec"]?["taints"] is JsonArray { Count: > 0 } taints ? [.. taints.OfType<JsonObject>().Select(Taint.Read)] : [];
        Unschedulable = node["spec"]?["unschedulable"] is JsonValue u && u.TryGetValue<bool>(out var b) && b;
        foreach (var (name, value) in node["status"]?["allocatable"] as JsonObject ?? [])
        {
            if (Quantity.TryParse(value?.ToString(), out var quantity))
                Allocatable[name] = quantity.Value;
        }
        AllocatableMilliCpu = (long)(Allocatable.GetValueOrDefault("cpu") * 1000);
        AllocatableMemory = (long)Allocatable.GetValueOrDefault("memory");
        AllocatablePods = (long)Allocatable.GetValueOrDefault("pods");
        foreach (var image in (node["status"]?["images"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var size = image["sizeBytes"] is JsonValue s && s.TryGetValue<long>(out var bytes) ? bytes : 0;
            foreach (var name in (image["names"] as JsonArray ?? []).Select(n => n?.ToString()).OfType<string>())
                Images[name] = size;
        }
    }

    public string Name { get; }

    public JsonObject Node { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyList<Taint> Taints { get; }

    public bool Unschedulable { get; }

    public Dictionary<string, decimal> Allocatable { get; } = new(StringComparer.Ordinal);

    /// <summary>The images the node reports having, by every name they go by, with their size in bytes.</summary>
    public Dictionary<string, long> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>What the pods here request, summed by resource.</summary>
    public IReadOnlyDictionary<string, decimal> Requested => _requested;

    /// <summary>CPU (millicores) and memory (bytes) the node allocates and the pods here request, as integers for scoring.</summary>
    public long AllocatableMilliCpu { get; }

    public long AllocatableMemory { get; }

    /// <summary>How many pods the node takes.</summary>
    public long AllocatablePods { get; }

    public long RequestedMilliCpu { get; private set; }

    public long RequestedMemory { get; private set; }

    /// <summary>CPU (millicores) the pods here take for scoring (see <see cref="PodInfo.NonZeroMilliCpu"/>).</summary>
    public long NonZeroMilliCpu { get; private set; }

    /// <summary>Memory (bytes) the pods here take for scoring.</summary>
    public long NonZeroMemory { get; private set; }

    /// <summary>Kept beside the other sums rather than read from the pod map: every filter pass asks it of every node it visits.</summary>
    public int PodCount { get; private set; }

    public IEnumerable<PodInfo> Pods => _pods.Values;

    /// <summary>The pods here with terms that add to other pods' scores (<see cref="PodInfo.HasScoringTerms"/>).</summary>
    public IReadOnlyList<PodInfo> PodsWithScoringTerms => _withScoringTerms;

    /// <summary>The pods here with required anti-affinity: they keep matching pods out of their topology domain.</summary>
    public IReadOnlyList<PodInfo> PodsWithRequiredAntiAffinity => _withRequiredAntiAffinity;

    public IEnumerable<HostPort> UsedPorts => _pods.Values.SelectMany(p => p.HostPorts);

    /// <summary>A node's information with the same pods, for a newer version of its Node object.</summary>
    public NodeInfo With(JsonObject node)
    {
        var updated = new NodeInfo(node);
        foreach (var pod in _pods.Values)
            updated.AddPod(pod);
        return updated;
    }

    /// <summary>A copy to change in a what-if (preemption removes pods from it), leaving this one as it is.</summary>
    public NodeInfo Clone() => With(Node);

    public void AddPod(PodInfo pod)
    {
        if (!_pods.TryAdd(pod.Uid, pod))
            return;
        ForgetSelected();
        Count(pod, +1);
        if (pod.HasScoringTerms)
            _withScoringTerms.Add(pod);
        if (pod.RequiredAntiAffinity.Count > 0)
            _withRequiredAntiAffinity.Add(pod);
    }

    public void RemovePod(string uid)
    {
        if (!_pods.Remove(uid, out var pod))
            return;
        ForgetSelected();
        Count(pod, -1);
        _withScoringTerms.Remove(pod);
        _withRequiredAntiAffinity.Remove(pod);
    }

    public bool Has(string uid) => _pods.ContainsKey(uid);

    /// <summary>
    /// The pods here, not terminating, that <paramref name="selected"/> selects. Remembered until the node's pods
    /// change: spreading asks it of every node for every pod, and the pods of one ReplicaSet all ask the same.
    /// </summary>
    public int CountSelected(SelectedPods selected)
    {
        lock (_selectedGate)
        {
            if (_selected is not null && _selected.TryGetValue(selected, out var known))
                return known;
        }
        var count = 0;
        foreach (var pod in _pods.Values)
        {
            if (!pod.Terminating && pod.Namespace == selected.Namespace && selected.Selector.Matches(pod.Labels))
                count++;
        }
        lock (_selectedGate)
        {
            _selected ??= [];
            if (_selected.Count >= RememberedSelectors)
                _selected.Clear();
            _selected[selected] = count;
        }
        return count;
    }

    private void ForgetSelected()
    {
        lock (_selectedGate)
            _selected = null;
    }

    private void Count(PodInfo pod, int sign)
    {
        foreach (var (name, amount) in pod.Requests)
            _requested[name] = _requested.GetValueOrDefault(name) + (sign * amount);
        PodCount += sign;
        RequestedMilliCpu += sign * pod.MilliCpu;
        RequestedMemory += sign * pod.Memory;
        NonZeroMilliCpu += sign * pod.NonZeroMilliCpu;
        NonZeroMemory += sign * pod.NonZeroMemory;
    }
}
