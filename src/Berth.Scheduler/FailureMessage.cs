using System.Globalization;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// The sentence a FailedScheduling event and the PodScheduled condition carry, in upstream's form: each reason with
/// the number of nodes that gave it, sorted, then what preemption found, e.g.
/// <c>0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.</c>
/// </summary>
internal static class FailureMessage
{
    public static string For(int nodes, IEnumerable<Status> failures, string? postFilter = null)
    {
        if (nodes == 0)
            return "no nodes available to schedule pods";
        var message = Counted(nodes, failures.SelectMany(f => f.Reasons));
        return string.IsNullOrEmpty(postFilter) ? message : $"{message} {postFilter}";
    }

    /// <summary>A PreFilter's verdict stands for all nodes, uncounted: <c>0/3 nodes are available: reason.</c></summary>
    public static string ForPreFilter(int nodes, Status status) =>
        string.Create(CultureInfo.InvariantCulture, $"0/{nodes} nodes are available: {status.Message}.");

    /// <summary><c>0/N nodes are available: 2 reason, 1 other reason.</c></summary>
    public static string Counted(int nodes, IEnumerable<string> reasons)
    {
        var counts = reasons.GroupBy(r => r, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}"))
            .Order(StringComparer.Ordinal);
        return string.Create(CultureInfo.InvariantCulture, $"0/{nodes} nodes are available: {string.Join(", ", counts)}.");
    }
}
