namespace Berth.Scheduler.Framework;

/// <summary>
/// What a PostFilter achieved: a node nominated for the pod and the pods that must leave it first, or a status whose
/// reasons are appended to the FailedScheduling message (<c>preemption: 0/3 nodes are available: ...</c>).
/// </summary>
public sealed record PostFilterResult(Status Status, string? NominatedNode, IReadOnlyList<PodInfo> Victims)
{
    public static PostFilterResult Failed(Status status) => new(status, null, []);
}
