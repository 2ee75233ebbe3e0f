using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.VolumeBinding;

/// <summary>
/// Upstream's VolumeBinding plugin, for volumes bound by the binder (there is no provisioning to wait for): a pod
/// whose claims are missing, being deleted or not bound yet waits, unresolvably for now (the scheduler looks again
/// when claims and volumes change); otherwise only nodes on which every bound volume can be used (its node affinity)
/// pass.
/// </summary>
public sealed class VolumeBinding(VolumeClaims claims) : IPreFilterPlugin, IFilterPlugin
{
    public const string UnboundClaims = "pod has unbound immediate PersistentVolumeClaims";
    public const string AffinityConflict = "node(s) had volume node affinity conflict";

    private const string StateKey = nameof(VolumeBinding);

    public string Name => nameof(VolumeBinding);

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var names = pod.Volumes.Claims;
        if (names.Count == 0)
            return Status.Skip;
        var volumes = new List<VolumeClaims.Volume>();
        var unbound = false;
        foreach (var name in names)
        {
            if (claims.FindClaim(pod.Namespace, name) is not { } claim)
                return VolumeClaims.ClaimNotFound(name);
            if (claim.Deleting)
                return Status.Unresolvable($"persistentvolumeclaim \"{name}\" is being deleted");
            if (claim.VolumeName is null || claims.FindVolume(claim.VolumeName) is not { } volume)
                unbound = true;
            else
                volumes.Add(volume);
        }
        if (unbound)
            return Status.Unresolvable(UnboundClaims);
        state.Write(StateKey, volumes);
        return Status.Success;
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        state.Read<List<VolumeClaims.Volume>>(StateKey) is { } volumes && volumes.Any(v => !v.UsableOn(node))
            ? Status.Unresolvable(AffinityConflict)
            : Status.Success;
}
