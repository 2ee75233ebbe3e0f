using System.Globalization;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler;

/// <summary>
/// The sentence a FailedScheduling event and the PodScheduled condition carry, in upstream's form: each reason with
/// the number of nodes that gave it, sorted, e.g.
/// <c>0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.</c>
/// </summary>
internal static class FailureMessage
{
    public static string For(int nodes, IEnumerable<Status> failures)
    {
        var counts = failures.SelectMany(f => f.Reasons).GroupBy(r => r, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        return nodes == 0
            ? "no nodes available to schedule pods"
            : string.Create(CultureInfo.InvariantCulture, $"0/{nodes} nodes are available: {string.Join(", ", counts)}.");
    }
}
