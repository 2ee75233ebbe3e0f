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

    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = Score(pod, nodes[i]);
    }

    private long Score(PodInfo pod, NodeInfo node)
    {
        // Runs for every feasible node of every cycle: no allocation for the usual handful of resources.
        Span<double> fractions = resources.Count <= 16 ? stackalloc double[resources.Count] : new double[resources.Count];
        var count = 0;
        for (var i = 0; i < resources.Count; i++)
        {
            var (requested, allocatable) = resources[i].On(node, pod, nonZero: false);
            if (allocatable != 0)
                fractions[count++] = Math.Min(1, (double)requested / allocatable);
        }
        return (long)((1 - Deviation(fractions[..count])) * IScorePlugin.MaxScore);
    }

    private static double Deviation(ReadOnlySpan<double> fractions)
    {
        if (fractions.Length < 2)
            return 0;
        if (fractions.Length == 2)
            return Math.Abs((fractions[0] - fractions[1]) / 2);
        double mean = 0, squares = 0;
        foreach (var f in fractions)
            mean += f / fractions.Length;
        foreach (var f in fractions)
            squares += (f - mean) * (f - mean);
        return Math.Sqrt(squares / fractions.Length);
    }
}
