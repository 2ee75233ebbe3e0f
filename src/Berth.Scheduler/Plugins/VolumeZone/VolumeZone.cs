using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.VolumeZone;

/// <summary>
/// Upstream's VolumeZone plugin: a pod whose bound volumes carry zone or region labels fits only nodes with the same
/// labels, each value one of the volume's (<c>a__b</c> lists several). A node without any zone or region label is
/// not constrained (a cluster of one zone), and a beta label on the volume is matched by the node's GA one too.
/// Claims not bound yet are left to VolumeBinding, which runs first and holds their pods.
/// </summary>
public sealed class VolumeZone(VolumeClaims claims) : IPreFilterPlugin, IFilterPlugin
{
    public const string Conflict = "node(s) had no available volume zone";

    private const string MultipleZonesDelimiter = "__";

    private const string StateKey = nameof(VolumeZone);

    public string Name => nameof(VolumeZone);

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        if (pod.Volumes.Claims.Count == 0)
            return Status.Skip;
        var constraints = new List<Constraint>();
        foreach (var name in pod.Volumes.Claims)
        {
            if (name.Length == 0)
                return Status.Unresolvable("PersistentVolumeClaim had no name");
            if (claims.FindClaim(pod.Namespace, name) is not { } claim)
                return VolumeClaims.ClaimNotFound(name);
            if (claim.VolumeName is null)
                continue;
            if (claims.FindVolume(claim.VolumeName) is not { } volume)
                return Status.Unresolvable($"persistentvolume \"{claim.VolumeName}\" not found");
            foreach (var (key, value) in volume.Topology)
            {
                // A value with an empty entry is ignored, as upstream ignores a label it cannot parse.
                var zones = value.Split(MultipleZonesDelimiter).Select(z => z.Trim()).ToList();
                if (zones.All(z => z.Length > 0))
                    constraints.Add(new Constraint(key, [.. zones]));
            }
        }
        if (constraints.Count == 0)
            return Status.Skip;
        state.Write(StateKey, constraints);
        return Status.Success;
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<List<Constraint>>(StateKey) is not { } constraints || !VolumeClaims.TopologyLabels.Any(node.Labels.ContainsKey))
            return Status.Success;
        foreach (var constraint in constraints)
        {
            if ((node.Labels.TryGetValue(constraint.Key, out var value) || node.Labels.TryGetValue(GeneralAvailability(constraint.Key), out value))
                && constraint.Values.Contains(value))
            {
                continue;
            }
            return Status.Unresolvable(Conflict);
        }
        return Status.Success;
    }

    private static string GeneralAvailability(string key) => key switch
    {
        "failure-domain.beta.kubernetes.io/zone" => "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region" => "topology.kubernetes.io/region",
        _ => key,
    };

    /// <summary>One topology label of a volume: the node's value for <see cref="Key"/> must be one of <see cref="Values"/>.</summary>
    private sealed record Constraint(string Key, HashSet<string> Values);
}
