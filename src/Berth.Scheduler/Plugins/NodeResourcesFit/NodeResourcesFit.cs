using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// The pod's requests must fit in what the node has left (<c>Too many pods</c>, <c>Insufficient cpu</c>, ...), and
/// nodes with more left score higher (upstream's default LeastAllocated strategy over CPU and memory, counting a
/// pod that requests nothing as 100m CPU and 200Mi memory, as upstream does).
/// </summary>
public sealed class NodeResourcesFit : IFilterPlugin, IScorePlugin
{
    private const decimal DefaultMilliCpu = 0.1m;
    private const decimal DefaultMemory = 200m * 1024 * 1024;

    public string Name => nameof(NodeResourcesFit);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        var reasons = new List<string>();
        if (node.PodCount + 1 > node.Allocatable.GetValueOrDefault("pods"))
            reasons.Add("Too many pods");
        foreach (var (resource, requested) in pod.Requests)
        {
            if (requested > 0 && node.Requested.GetValueOrDefault(resource) + requested > node.Allocatable.GetValueOrDefault(resource))
                reasons.Add($"Insufficient {resource}");
        }
        return reasons.Count == 0 ? Status.Success : new Status(StatusCode.Unschedulable, reasons);
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var cpu = Free(node, "cpu", pod.Requests.TryGetValue("cpu", out var c) && c > 0 ? c : DefaultMilliCpu);
        var memory = Free(node, "memory", pod.Requests.TryGetValue("memory", out var m) && m > 0 ? m : DefaultMemory);
        return (long)((cpu + memory) / 2);
    }

    /// <summary>The share of a resource (0–100) left on the node once the pod is there.</summary>
    private static decimal Free(NodeInfo node, string resource, decimal request)
    {
        var capacity = node.Allocatable.GetValueOrDefault(resource);
        var requested = node.Requested.GetValueOrDefault(resource) + request;
        return capacity <= 0 || requested > capacity ? 0 : (capacity - requested) * IScorePlugin.MaxScore / capacity;
    }
}
