namespace Berth.Controllers.ReplicaSets;

/// <summary>
/// Which pods a ReplicaSet scaling down deletes first, as upstream ranks them: not yet on a node, then pending before
/// unknown before running, not ready before ready, a lower <c>controller.kubernetes.io/pod-deletion-cost</c>, pods
/// sharing a node with more of their siblings, ready for a shorter time, restarted more often, and created later.
/// </summary>
internal sealed class DeletionOrder(IReadOnlyDictionary<string, int> siblingsOnNode) : IComparer<ReplicaPod>
{
    public int Compare(ReplicaPod? x, ReplicaPod? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if ((x.NodeName.Length == 0) != (y.NodeName.Length == 0))
            return x.NodeName.Length == 0 ? -1 : 1;
        if (PhaseRank(x.Phase) != PhaseRank(y.Phase))
            return PhaseRank(x.Phase).CompareTo(PhaseRank(y.Phase));
        if (x.Ready != y.Ready)
            return x.Ready ? 1 : -1;
        if (x.DeletionCost != y.DeletionCost)
            return x.DeletionCost.CompareTo(y.DeletionCost);
        var (xRank, yRank) = (siblingsOnNode.GetValueOrDefault(x.NodeName), siblingsOnNode.GetValueOrDefault(y.NodeName));
        if (xRank != yRank)
            return yRank.CompareTo(xRank);
        if (x.ReadySince is { } xSince && y.ReadySince is { } ySince && xSince != ySince)
            return ySince.CompareTo(xSince);
        if (x.Restarts != y.Restarts)
            return y.Restarts.CompareTo(x.Restarts);
        return y.Created.CompareTo(x.Created);
    }

    private static int PhaseRank(string phase) => phase switch
    {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    };
}
