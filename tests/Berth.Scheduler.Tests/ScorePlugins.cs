using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Tests;

/// <summary>Score plugins' raw scores as tests want them: as an array, or for one node.</summary>
internal static class ScorePlugins
{
    /// <summary>The raw scores of <paramref name="nodes"/>, in their order (the nodes PreScore saw, if it ran).</summary>
    public static long[] ScoreAll(this IScorePlugin plugin, CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var scores = new long[nodes.Count];
        plugin.Score(state, pod, nodes, scores);
        return scores;
    }

    /// <summary>The raw score of one node, for plugins that need no PreScore.</summary>
    public static long ScoreOne(this IScorePlugin plugin, CycleState state, PodInfo pod, NodeInfo node) => plugin.ScoreAll(state, pod, [node])[0];
}
