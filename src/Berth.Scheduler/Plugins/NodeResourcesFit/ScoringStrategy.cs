using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// How NodeResourcesFit scores a node from its resources after the pod is placed, each resource's score weighted:
/// LeastAllocated (the default: spread pods), MostAllocated (pack them), or RequestedToCapacityRatio (a score
/// shape over utilisation, given as points between which it is linear).
/// </summary>
public abstract class ScoringStrategy(IReadOnlyList<ResourceAllocation> resources)
{
    public IReadOnlyList<ResourceAllocation> Resources { get; } = resources;

    public long Score(NodeInfo node, PodInfo pod)
    {
        long total = 0, weights = 0;
        for (var i = 0; i < Resources.Count; i++)
        {
            var resource = Resources[i];
            var (requested, allocatable) = resource.On(node, pod, nonZero: true);
            if (allocatable == 0)
                continue;
            var score = ScoreOf(requested, allocatable);
            if (score is null)
                continue;
            total += score.Value * resource.Weight;
            weights += resource.Weight;
        }
        return weights == 0 ? 0 : Combine(total, weights);
    }

    /// <summary>One resource's score; null to leave the resource out of the weighted mean.</summary>
    protected abstract long? ScoreOf(long requested, long allocatable);

    protected virtual long Combine(long total, long weights) => total / weights;
}

/// <summary>The share left free, 0–100: a node with more room scores higher.</summary>
public sealed class LeastAllocated(IReadOnlyList<ResourceAllocation> resources) : ScoringStrategy(resources)
{
    protected override long? ScoreOf(long requested, long allocatable) =>
        requested > allocatable ? 0 : (allocatable - requested) * IScorePlugin.MaxScore / allocatable;
}

/// <summary>The share in use, 0–100: the fuller node scores higher (requests above capacity count as full).</summary>
public sealed class MostAllocated(IReadOnlyList<ResourceAllocation> resources) : ScoringStrategy(resources)
{
    protected override long? ScoreOf(long requested, long allocatable) =>
        Math.Min(requested, allocatable) * IScorePlugin.MaxScore / allocatable;
}

/// <summary>
/// A piecewise linear function of utilisation (0–100 %) given by its points, scores 0–10 scaled to 0–100; resources
/// that score 0 are left out of the mean, and the mean is rounded, as upstream.
/// </summary>
public sealed class RequestedToCapacityRatio(IReadOnlyList<ResourceAllocation> resources, IReadOnlyList<(long Utilization, long Score)> shape)
    : ScoringStrategy(resources)
{
    private const long MaxUtilization = 100;
    private const long MaxShapeScore = 10;

    private readonly (long Utilization, long Score)[] _shape = [.. shape.Select(p => (p.Utilization, p.Score * (IScorePlugin.MaxScore / MaxShapeScore)))];

    protected override long? ScoreOf(long requested, long allocatable)
    {
        var score = requested > allocatable ? At(MaxUtilization) : At(requested * MaxUtilization / allocatable);
        return score > 0 ? score : null;
    }

    protected override long Combine(long total, long weights) => (long)Math.Round((double)total / weights, MidpointRounding.AwayFromZero);

    private long At(long utilization)
    {
        for (var i = 0; i < _shape.Length; i++)
        {
            if (utilization > _shape[i].Utilization)
                continue;
            if (i == 0)
                return _shape[0].Score;
            var (from, to) = (_shape[i - 1], _shape[i]);
            return from.Score + ((to.Score - from.Score) * (utilization - from.Utilization) / (to.Utilization - from.Utilization));
        }
        return _shape[^1].Score;
    }
}
