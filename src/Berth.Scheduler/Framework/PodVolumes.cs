using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Scheduler.Framework;

/// <summary>
/// What the volume plugins ask of a pod's volumes, parsed once (kept for pods already placed too): the claims it
/// mounts, and the network disks named in its spec that two pods on one node may not both mount read-write.
/// </summary>
public sealed class PodVolumes
{
    public static PodVolumes None { get; } = new([], []);

    private PodVolumes(IReadOnlyList<string> claims, IReadOnlyList<InlineDisk> disks)
    {
        Claims = claims;
        Disks = disks;
    }

    /// <summary>The names of the PersistentVolumeClaims the pod mounts, in its namespace.</summary>
    public IReadOnlyList<string> Claims { get; }

    public IReadOnlyList<InlineDisk> Disks { get; }

    /// <summary>Whether <paramref name="volume"/> is one the volume plugins weigh: a claim or a network disk.</summary>
    public static bool Weighs(JsonElement volume) =>
        volume.ValueKind == JsonValueKind.Object && WeighedSources.Any(source => volume.TryGetProperty(source, out _));

    private static readonly string[] WeighedSources = ["persistentVolumeClaim", .. InlineDisk.Kinds];

    public static PodVolumes Of(JsonObject spec)
    {
        if (spec["volumes"] is not JsonArray { Count: > 0 } volumes)
            return None;
        List<string>? claims = null;
        List<InlineDisk>? disks = null;
        foreach (var volume in volumes.OfType<JsonObject>())
        {
            if (volume["persistentVolumeClaim"]?["claimName"]?.ToString() is { } claim)
                (claims ??= []).Add(claim);
            else if (InlineDisk.Of(volume) is { } disk)
                (disks ??= []).Add(disk);
        }
        return claims is null && disks is null ? None : new PodVolumes(claims ?? [], disks ?? []);
    }
}

/// <summary>
/// A network disk a pod names in its spec, as upstream tells them apart: a GCE persistent disk by name, an EBS volume
/// by id, an iSCSI target by IQN, a Ceph RBD image by its pool and image and any monitor in common.
/// </summary>
public sealed record InlineDisk(string Kind, string Id, IReadOnlyList<string> Monitors, bool ReadOnly)
{
    public static IReadOnlyList<string> Kinds { get; } = ["gcePersistentDisk", "awsElasticBlockStore", "iscsi", "rbd"];

    public static InlineDisk? Of(JsonObject volume)
    {
        if (volume["gcePersistentDisk"] is JsonObject gce)
            return new InlineDisk("gcePersistentDisk", gce["pdName"]?.ToString() ?? "", [], IsReadOnly(gce));
        if (volume["awsElasticBlockStore"] is JsonObject ebs)
            return new InlineDisk("awsElasticBlockStore", ebs["volumeID"]?.ToString() ?? "", [], IsReadOnly(ebs));
        if (volume["iscsi"] is JsonObject iscsi)
            return new InlineDisk("iscsi", iscsi["iqn"]?.ToString() ?? "", [], IsReadOnly(iscsi));
        if (volume["rbd"] is JsonObject rbd)
        {
            return new InlineDisk("rbd", $"{rbd["pool"]?.ToString() ?? "rbd"}/{rbd["image"]}",
                [.. (rbd["monitors"] as JsonArray ?? []).Select(m => m?.ToString() ?? "")], IsReadOnly(rbd));
        }
        return null;
    }

    /// <summary>
    /// Whether mounting this and <paramref name="other"/> on one node conflicts: the same disk, unless both mount it
    /// read-only (an EBS volume may not be mounted twice at all).
    /// </summary>
    public bool ConflictsWith(InlineDisk other)
    {
        if (Kind != other.Kind || Id != other.Id)
            return false;
        if (Kind == "rbd" && !Monitors.Intersect(other.Monitors, StringComparer.Ordinal).Any())
            return false;
        return Kind == "awsElasticBlockStore" || !(ReadOnly && other.ReadOnly);
    }

    private static bool IsReadOnly(JsonObject source) => source["readOnly"] is JsonValue value && value.TryGetValue<bool>(out var readOnly) && readOnly;
}
