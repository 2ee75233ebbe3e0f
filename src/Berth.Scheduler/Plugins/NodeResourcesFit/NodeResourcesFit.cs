using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// The pod's requests must fit in what the node has left (<c>Too many pods</c>, <c>Insufficient cpu</c>, ...), and
/// nodes score by the configured strategy (upstream's default: LeastAllocated over CPU and memory). Extended
/// resources (<c>example.com/gpu</c>) named in <c>ignoredResources</c>, or of a group (<c>example.com</c>) named in
/// <c>ignoredResourceGroups</c>, are not checked: something other than the scheduler accounts for them.
/// </summary>
public sealed class NodeResourcesFit(ScoringStrategy strategy, IReadOnlySet<string> ignoredResources, IReadOnlySet<string> ignoredResourceGroups) : IFilterPlugin, IScorePlugin
{
    public NodeResourcesFit(ScoringStrategy strategy)
        : this(strategy, new HashSet<string>(), new HashSet<string>())
    {
    }

    public NodeResourcesFit()
        : this(new LeastAllocated(ResourceAllocation.CpuAndMemory))
    {
    }

    public string Name => nameof(NodeResourcesFit);

    public ScoringStrategy Strategy => strategy;

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        // Most nodes fit: find that out without allocating, and only then say why not.
        if (Fits(pod, node))
            return Status.Success;
        var reasons = new List<string>();
        if (node.PodCount + 1 > node.Allocatable.GetValueOrDefault("pods"))
            reasons.Add("Too many pods");
        foreach (var (resource, requested) in pod.Requests)
        {
            if (requested > 0 && !Ignores(resource) && node.Requested.GetValueOrDefault(resource) + requested > node.Allocatable.GetValueOrDefault(resource))
                reasons.Add($"Insufficient {resource}");
        }
        return reasons.Count == 0 ? Status.Success : new Status(StatusCode.Unschedulable, reasons);
    }

    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = strategy.Score(nodes[i], pod);
    }

    /// <summary>Pods, CPU and memory as integers; other resources as requested.</summary>
    private bool Fits(PodInfo pod, NodeInfo node)
    {
        if (node.PodCount + 1 > node.AllocatablePods
            || (pod.MilliCpu > 0 && node.RequestedMilliCpu + pod.MilliCpu > node.AllocatableMilliCpu)
            || (pod.Memory > 0 && node.RequestedMemory + pod.Memory > node.AllocatableMemory))
            return false;
        foreach (var (resource, requested) in pod.OtherRequests)
        {
            if (!Ignores(resource) && node.Requested.GetValueOrDefault(resource) + requested > node.Allocatable.GetValueOrDefault(resource))
                return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="resource"/> is an extended resource the configuration says not to check.</summary>
    private bool Ignores(string resource)
    {
        if (ignoredResources.Count + ignoredResourceGroups.Count == 0 || !IsExtended(resource))
            return false;
        return ignoredResources.Contains(resource) || ignoredResourceGroups.Contains(resource[..resource.IndexOf('/', StringComparison.Ordinal)]);
    }

    /// <summary>Upstream's extended resources: a domain of their own, neither <c>kubernetes.io</c>'s nor <c>requests.</c>-prefixed.</summary>
    private static bool IsExtended(string resource) =>
        resource.Contains('/', StringComparison.Ordinal) && !resource.Contains("kubernetes.io/", StringComparison.Ordinal)
            && !resource.StartsWith("requests.", StringComparison.Ordinal);
}
