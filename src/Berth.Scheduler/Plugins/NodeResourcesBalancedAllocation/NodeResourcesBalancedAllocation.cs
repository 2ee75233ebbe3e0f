using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.NodeResourcesFit;

namespace Berth.Scheduler.Plugins.NodeResourcesBalancedAllocation;

/// <summary>
/// Prefers nodes whose resources would be used evenly with the pod there: 100 × (1 − the standard deviation of the
/// requested shares of each resource, each share at most 1), from the pods' actual requests.
/// </summary>
public sealed class NodeResourcesBalancedAllocation(IReadOnlyList<ResourceAllocation> resources) : IScorePlugin
{
    public NodeResourcesBalancedAllocation()
        : this(ResourceAllocation.CpuAndMemory)
    {
    }

    public string Name => nameof(NodeResourcesBalancedAllocation);

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var fractions = new List<double>(resources.Count);
        foreach (var resource in resources)
        {
            var (requested, allocatable) = resource.On(node, pod, nonZero: false);
            if (allocatable != 0)
                fractions.Add(Math.Min(1, (double)requested / allocatable));
        }
        var deviation = fractions.Count switch
        {
            < 2 => 0,
            2 => Math.Abs((fractions[0] - fractions[1]) / 2),
            _ => Math.Sqrt(fractions.Sum(f => (f - fractions.Average()) * (f - fractions.Average())) / fractions.Count),
        };
        return (long)((1 - deviation) * IScorePlugin.MaxScore);
    }
}
