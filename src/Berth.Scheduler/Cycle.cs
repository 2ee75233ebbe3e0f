using System.Collections.Concurrent;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// The scheduling algorithm of one profile, as upstream runs it: PreFilter; Filter over the nodes in parallel, from
/// where the last cycle stopped until enough fit (<c>percentageOfNodesToScore</c>); PostFilter (preemption) if none
/// does; PreScore and Score of the feasible nodes; the best chosen, ties broken by chance as upstream's selectHost.
/// </summary>
internal sealed class Cycle(Profile profile)
{
    /// <summary>Below this many nodes filtering is sequential: splitting the work costs more than it saves.</summary>
    private const int ParallelFromNodes = 512;

    private const int MinFeasibleNodes = 100;

    /// <summary>Where the next cycle starts looking, so that every node gets its turn.</summary>
    private int _nextStart;

    public Profile Profile => profile;

    /// <summary>The chosen node, or why there is none and what preemption did about it. Runs under the cache's lock.</summary>
    public Outcome Run(CycleState state, PodInfo pod, Snapshot snapshot, Nominations nominations)
    {
        var nodes = snapshot.Nodes;
        if (nodes.Count == 0)
            return Outcome.Failed(FailureMessage.For(0, []), null);
        var ahead = nominations.IsEmpty ? null : nominations.Ahead(pod);
        var preFilter = profile.RunPreFilters(state, pod, snapshot);
        if (!preFilter.IsSuccess)
        {
            // The PreFilter's verdict is every node's; preemption is asked all the same, as upstream asks it.
            var everywhere = nodes.ToDictionary(n => n.Name, _ => preFilter, StringComparer.Ordinal);
            var afterPreFilter = PostFilter(state, pod, snapshot, everywhere, ahead);
            var why = FailureMessage.ForPreFilter(nodes.Count, preFilter);
            return Outcome.Failed(afterPreFilter?.Status.IsSuccess == false ? $"{why} {afterPreFilter.Status.Message}" : why, afterPreFilter);
        }

        var (feasible, failures) = Filter(state, pod, nodes, ahead);
        if (feasible.Count == 0)
        {
            var preemption = PostFilter(state, pod, snapshot, failures, ahead);
            var message = FailureMessage.For(nodes.Count, failures.Values, preemption?.Status.IsSuccess == false ? preemption.Status.Message : null);
            return Outcome.Failed(message, preemption);
        }
        if (feasible.Count == 1)
            return new Outcome(feasible[0].Name, "", null);
        var scores = profile.RunScorers(state, pod, snapshot, feasible);
        return new Outcome(SelectHost(feasible, scores), "", null);
    }

    /// <summary>
    /// Nodes through the filters until enough fit, in parallel chunks for big clusters. A node with pods nominated to
    /// it that rank at least as high as this one is judged with them on it. A pod that fits nowhere has seen every node.
    /// </summary>
    private (List<NodeInfo> Feasible, Dictionary<string, Status> Failures) Filter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes,
        Dictionary<string, List<PodInfo>>? ahead)
    {
        var wanted = FeasibleNodesToFind(nodes.Count);
        var start = _nextStart;
        var feasible = new NodeInfo?[wanted];
        var failures = new ConcurrentDictionary<string, Status>(StringComparer.Ordinal);
        var found = 0;
        var processed = 0;

        void Check(int i)
        {
            var node = nodes[(start + i) % nodes.Count];
            var status = profile.RunFilters(state, pod, WithNominated(node, ahead));
            Interlocked.Increment(ref processed);
            if (!status.IsSuccess)
            {
                failures[node.Name] = status;
                return;
            }
            var slot = Interlocked.Increment(ref found) - 1;
            if (slot < wanted)
                feasible[slot] = node;
        }

        if (nodes.Count < ParallelFromNodes)
        {
            for (var i = 0; i < nodes.Count && found < wanted; i++)
                Check(i);
        }
        else
        {
            var chunks = System.Collections.Concurrent.Partitioner.Create(0, nodes.Count, 64);
            Parallel.ForEach(chunks, (range, loop) =>
            {
                for (var i = range.Item1; i < range.Item2; i++)
                {
                    if (Volatile.Read(ref found) >= wanted)
                    {
                        loop.Stop();
                        return;
                    }
                    Check(i);
                }
            });
        }
        _nextStart = (start + processed) % nodes.Count;
        // Every slot below the count is filled: the checks have all returned.
        var chosen = new List<NodeInfo>(Math.Min(found, wanted));
        for (var i = 0; i < chosen.Capacity; i++)
            chosen.Add(feasible[i]!);
        return (chosen, new Dictionary<string, Status>(failures, StringComparer.Ordinal));
    }

    /// <summary>The node as Filter judges it: with the pods nominated to it that rank at least as high as the pod.</summary>
    private static NodeInfo WithNominated(NodeInfo node, Dictionary<string, List<PodInfo>>? ahead)
    {
        if (ahead is null || !ahead.TryGetValue(node.Name, out var nominated))
            return node;
        node = node.Clone();
        foreach (var other in nominated)
            node.AddPod(other);
        return node;
    }

    private PostFilterResult? PostFilter(CycleState state, PodInfo pod, Snapshot snapshot, Dictionary<string, Status> failures,
        Dictionary<string, List<PodInfo>>? ahead)
    {
        IFilterRunner filters = ahead is null ? profile : new NominatedFilterRunner(profile, ahead);
        PostFilterResult? last = null;
        foreach (var plugin in profile.PostFilters)
        {
            last = plugin.PostFilter(state, pod, snapshot, failures, filters);
            if (last.Status.IsSuccess)
                return last;
        }
        return last;
    }

    /// <summary>
    /// Upstream's adaptive percentageOfNodesToScore: all nodes of a small cluster, else a share falling from 50 % by
    /// one point per 125 nodes to 5 %, never fewer than 100; or the profile's own percentage.
    /// </summary>
    private int FeasibleNodesToFind(int nodes)
    {
        if (nodes < MinFeasibleNodes || profile.PercentageOfNodesToScore >= 100)
            return nodes;
        var percentage = profile.PercentageOfNodesToScore is > 0 and var configured ? configured : Math.Max(5, 50 - (nodes / 125));
        return Math.Max(MinFeasibleNodes, nodes * percentage / 100);
    }

    /// <summary>The node with the highest score; among equals, each as likely as the others.</summary>
    private static string SelectHost(List<NodeInfo> feasible, long[] scores)
    {
        var (best, bestScore, ties) = (0, long.MinValue, 0);
        for (var i = 0; i < feasible.Count; i++)
        {
            if (scores[i] > bestScore)
                (best, bestScore, ties) = (i, scores[i], 1);
            else if (scores[i] == bestScore && Random.Shared.Next(++ties) == 0)
                best = i;
        }
        return feasible[best].Name;
    }

    /// <summary>
    /// Preemption's what-ifs judged as Filter judges, with the nominated pods ahead of the preemptor on the node, as
    /// upstream's: else a pod would count room already promised to a pod of higher priority as its own.
    /// </summary>
    private sealed class NominatedFilterRunner(Profile profile, Dictionary<string, List<PodInfo>> ahead) : IFilterRunner
    {
        public Status Fits(PodInfo pod, Snapshot snapshot, NodeInfo node)
        {
            var judged = WithNominated(node, ahead);
            return profile.Fits(pod, ReferenceEquals(judged, node) ? snapshot : snapshot.With(judged), judged);
        }
    }

    /// <summary>A cycle's result: the node chosen, or the message for the pod and what preemption found.</summary>
    public sealed record Outcome(string? Node, string Message, PostFilterResult? Preemption)
    {
        public static Outcome Failed(string message, PostFilterResult? preemption) => new(null, message, preemption);
    }
}
