using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Core.Quantities;

namespace Berth.Scheduler.Framework;

/// <summary>
/// A node as one scheduling cycle sees it: its labels, taints and allocatable resources, and what the pods on it
/// (bound or assumed) already take: their requests summed, their host ports, their number.
/// </summary>
public sealed class NodeInfo
{
    private readonly Dictionary<string, (IReadOnlyDictionary<string, decimal> Requests, IReadOnlyList<HostPort> Ports)> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _requested = new(StringComparer.Ordinal);

    public NodeInfo(JsonObject node)
    {
        Node = node;
        Name = node["metadata"]?["name"]?.ToString() ?? "";
        Labels = (node["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        Taints = [.. (node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>()];
        Unschedulable = node["spec"]?["unschedulable"] is JsonValue u && u.TryGetValue<bool>(out var b) && b;
        foreach (var (name, value) in node["status"]?["allocatable"] as JsonObject ?? [])
        {
            if (Quantity.TryParse(value?.ToString(), out var quantity))
                Allocatable[name] = quantity.Value;
        }
    }

    public string Name { get; }

    public JsonObject Node { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyList<JsonObject> Taints { get; }

    public bool Unschedulable { get; }

    public Dictionary<string, decimal> Allocatable { get; } = new(StringComparer.Ordinal);

    /// <summary>What the pods here request, summed by resource.</summary>
    public IReadOnlyDictionary<string, decimal> Requested => _requested;

    public int PodCount => _pods.Count;

    public IEnumerable<HostPort> UsedPorts => _pods.Values.SelectMany(p => p.Ports);

    /// <summary>A node's information with the same pods, for a newer version of its Node object.</summary>
    public NodeInfo With(JsonObject node)
    {
        var updated = new NodeInfo(node);
        foreach (var (uid, pod) in _pods)
            updated.AddPod(uid, pod.Requests, pod.Ports);
        return updated;
    }

    public void AddPod(string uid, IReadOnlyDictionary<string, decimal> requests, IReadOnlyList<HostPort> ports)
    {
        if (!_pods.TryAdd(uid, (requests, ports)))
            return;
        foreach (var (name, amount) in requests)
            _requested[name] = _requested.GetValueOrDefault(name) + amount;
    }

    public void RemovePod(string uid)
    {
        if (!_pods.Remove(uid, out var pod))
            return;
        foreach (var (name, amount) in pod.Requests)
            _requested[name] = _requested.GetValueOrDefault(name) - amount;
    }

    public bool Has(string uid) => _pods.ContainsKey(uid);
}
