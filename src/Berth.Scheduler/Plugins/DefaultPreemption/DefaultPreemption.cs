using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.DefaultPreemption;

/// <summary>
/// When no node fits a pod, finds a node where removing pods of lower priority would make it fit, as upstream's
/// default preemption: on each node where that could help, every lower-priority pod is taken away, then given back
/// one by one, most important first and those a PodDisruptionBudget protects before the others, as long as the pod
/// still fits; the pods not given back are the victims. Among the candidate nodes the one chosen breaks the fewest
/// budgets, then has the lowest highest victim priority, the lowest sum of priorities, the fewest victims, and the
/// latest-started most important victims. The pod is nominated to that node; the victims are deleted gracefully.
/// </summary>
public sealed class DefaultPreemption(DisruptionBudgets budgets, int minCandidateNodesPercentage = 10, int minCandidateNodesAbsolute = 100) : IPostFilterPlugin
{
    public const string NotHelpful = "Preemption is not helpful for scheduling";
    public const string NoVictims = "No preemption victims found for incoming pod";

    public string Name => nameof(DefaultPreemption);

    public PostFilterResult PostFilter(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyDictionary<string, Status> failures, IFilterRunner filters)
    {
        if (!pod.PreemptsLowerPriority)
            return Failed("not eligible due to preemptionPolicy=Never.");
        if (pod.NominatedNodeName.Length > 0
            && snapshot.Nodes.FirstOrDefault(n => n.Name == pod.NominatedNodeName) is { } nominated
            && nominated.Pods.Any(p => p.Terminating && p.Priority < pod.Priority))
            return Failed("not eligible due to a terminating pod on the nominated node.");

        var verdicts = new Dictionary<string, Status>(StringComparer.Ordinal);
        var potential = new List<NodeInfo>();
        foreach (var node in snapshot.Nodes)
        {
            if (failures.TryGetValue(node.Name, out var failure) && failure.Code == StatusCode.UnschedulableAndUnresolvable)
                verdicts[node.Name] = Status.Unresolvable(NotHelpful);
            else
                potential.Add(node);
        }

        var wanted = Math.Min(potential.Count, Math.Max(minCandidateNodesAbsolute, potential.Count * minCandidateNodesPercentage / 100));
        var candidates = new List<Candidate>();
        var offset = potential.Count == 0 ? 0 : Random.Shared.Next(potential.Count);
        for (var i = 0; i < potential.Count && candidates.Count < wanted; i++)
        {
            var node = potential[(offset + i) % potential.Count];
            var (candidate, status) = SelectVictims(pod, snapshot, node, filters);
            if (candidate is null)
                verdicts[node.Name] = status;
            else
                candidates.Add(candidate);
        }
        if (candidates.Count == 0)
            return Failed(FailureMessage.Counted(snapshot.Nodes.Count, verdicts.Values.SelectMany(v => v.Reasons)));

        var best = candidates
            .OrderBy(c => c.BudgetViolations)
            .ThenBy(c => c.Victims[0].Priority)
            .ThenBy(c => c.Victims.Sum(v => (long)v.Priority + int.MaxValue + 1))
            .ThenBy(c => c.Victims.Count)
            .ThenByDescending(c => c.Victims.Where(v => v.Priority == c.Victims[0].Priority).Min(v => v.Started))
            .First();
        return new PostFilterResult(Status.Success, best.Node, best.Victims);
    }

    /// <summary>The fewest pods of lower priority whose removal lets the pod fit the node, or why none does.</summary>
    private (Candidate? Candidate, Status Status) SelectVictims(PodInfo pod, Snapshot snapshot, NodeInfo node, IFilterRunner filters)
    {
        var lower = node.Pods.Where(p => p.Priority < pod.Priority).OrderByDescending(p => p.Priority).ThenBy(p => p.Started).ToList();
        if (lower.Count == 0)
            return (null, Status.Unresolvable(NoVictims));
        var trial = node.Clone();
        foreach (var victim in lower)
            trial.RemovePod(victim.Uid);
        var cluster = snapshot.With(trial);
        var fits = filters.Fits(pod, cluster, trial);
        if (!fits.IsSuccess)
            return (null, fits);

        var (violating, sparing) = SplitByBudgets(lower);
        var victims = new List<PodInfo>();
        var violations = 0;
        bool Reprieve(PodInfo candidate)
        {
            trial.AddPod(candidate);
            if (filters.Fits(pod, cluster, trial).IsSuccess)
                return true;
            trial.RemovePod(candidate.Uid);
            victims.Add(candidate);
            return false;
        }
        foreach (var candidate in violating)
        {
            if (!Reprieve(candidate))
                violations++;
        }
        foreach (var candidate in sparing)
            Reprieve(candidate);
        if (victims.Count == 0)
            return (null, Status.Unresolvable(NoVictims));
        victims.Sort((a, b) => b.Priority != a.Priority ? b.Priority.CompareTo(a.Priority) : a.Started.CompareTo(b.Started));
        return (new Candidate(node.Name, victims, violations), Status.Success);
    }

    /// <summary>The pods whose eviction would break a budget (none left to disrupt), and the others, each in the order given.</summary>
    private (List<PodInfo> Violating, List<PodInfo> Sparing) SplitByBudgets(List<PodInfo> pods)
    {
        var allowed = budgets.All.ToDictionary(b => b.Key, b => b.DisruptionsAllowed, StringComparer.Ordinal);
        var (violating, sparing) = (new List<PodInfo>(), new List<PodInfo>());
        foreach (var pod in pods)
        {
            var protecting = budgets.All.Where(b => b.Protects(pod)).ToList();
            foreach (var budget in protecting)
                allowed[budget.Key]--;
            (protecting.Any(b => allowed[b.Key] < 0) ? violating : sparing).Add(pod);
        }
        return (violating, sparing);
    }

    private static PostFilterResult Failed(string message) => PostFilterResult.Failed(Status.Unschedulable($"preemption: {message}"));

    private sealed record Candidate(string Node, List<PodInfo> Victims, int BudgetViolations);
}
