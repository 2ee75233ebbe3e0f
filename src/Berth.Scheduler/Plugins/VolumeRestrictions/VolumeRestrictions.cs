using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.VolumeRestrictions;

/// <summary>
/// Upstream's VolumeRestrictions plugin: a claim whose access mode is ReadWriteOncePod is used by one pod in the whole
/// cluster, so a pod whose such claim another placed pod uses fits nowhere (until that pod goes, or is preempted);
/// and a network disk named in a pod's spec (GCE PD, EBS, iSCSI, RBD) may not be mounted by two pods of a node unless
/// both mount it read-only.
/// </summary>
public sealed class VolumeRestrictions(VolumeClaims claims) : IPreFilterPlugin, IFilterPlugin
{
    public const string DiskConflict = "node(s) had no available disk";
    public const string ReadWriteOncePodConflict = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";

    private const string StateKey = nameof(VolumeRestrictions);

    public string Name => nameof(VolumeRestrictions);

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        if (pod.Volumes == PodVolumes.None)
            return Status.Skip;
        var exclusive = new List<string>();
        foreach (var name in pod.Volumes.Claims)
        {
            if (claims.FindClaim(pod.Namespace, name) is not { } claim)
                return VolumeClaims.ClaimNotFound(name);
            if (claim.ReadWriteOncePod)
                exclusive.Add(name);
        }
        var claimInUse = exclusive.Count > 0 && UsedByPlacedPod(pod.Namespace, exclusive, snapshot);
        if (pod.Volumes.Disks.Count == 0 && !claimInUse)
            return Status.Skip;
        state.Write(StateKey, new Exclusive(claimInUse));
        return Status.Success;
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        foreach (var disk in pod.Volumes.Disks)
        {
            foreach (var placed in node.Pods)
            {
                if (placed.Volumes.Disks.Any(disk.ConflictsWith))
                    return Status.Unschedulable(DiskConflict);
            }
        }
        // Unschedulable, not unresolvable: preempting the pod that holds the claim frees it.
        return state.Read<Exclusive>(StateKey) is { ClaimInUse: true } ? Status.Unschedulable(ReadWriteOncePodConflict) : Status.Success;
    }

    /// <summary>
    /// Whether a placed pod (a terminating one too) mounts one of <paramref name="names"/>. Every pod of every node is
    /// looked at, but only for the rare pod with a ReadWriteOncePod claim; a what-if without its victims is looked at
    /// the same way.
    /// </summary>
    private static bool UsedByPlacedPod(string ns, List<string> names, Snapshot snapshot)
    {
        foreach (var node in snapshot.Nodes)
        {
            foreach (var placed in node.Pods)
            {
                if (placed.Namespace == ns && placed.Volumes.Claims.Any(names.Contains))
                    return true;
            }
        }
        return false;
    }

    private sealed record Exclusive(bool ClaimInUse);
}
