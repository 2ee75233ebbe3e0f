using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The PersistentVolumeClaims and PersistentVolumes, as the volume plugins weigh them: whether each claim is bound and
/// to which volume, whether it may be used by one pod only, and where each volume can be used (its <c>nodeAffinity</c>,
/// for local volumes, and its zone and region labels).
/// </summary>
public sealed class VolumeClaims
{
    private readonly ConcurrentDictionary<string, Claim> _claims = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Volume> _volumes = new(StringComparer.Ordinal);

    /// <summary>The labels that place a volume in a zone or region, beta names first (as upstream lists them).</summary>
    public static IReadOnlyList<string> TopologyLabels { get; } =
        ["failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.kubernetes.io/region"];

    public void SetClaim(JsonObject claim)
    {
        var metadata = claim["metadata"];
        _claims[$"{metadata?["namespace"]}/{metadata?["name"]}"] = new Claim(
            claim["spec"]?["volumeName"]?.ToString() is { Length: > 0 } volume && claim["status"]?["phase"]?.ToString() == "Bound" ? volume : null,
            metadata?["deletionTimestamp"] is not null,
            (claim["spec"]?["accessModes"] as JsonArray ?? []).Any(m => m?.ToString() == "ReadWriteOncePod"));
    }

    public void RemoveClaim(JsonObject claim) => _claims.TryRemove($"{claim["metadata"]?["namespace"]}/{claim["metadata"]?["name"]}", out _);

    public void SetVolume(JsonObject volume)
    {
        var terms = volume["spec"]?["nodeAffinity"]?["required"]?["nodeSelectorTerms"] is JsonArray given
            ? given.OfType<JsonObject>().Select(NodeSelectorTerm.Of).ToArray()
            : null;
        var labels = volume["metadata"]?["labels"] as JsonObject ?? [];
        var topology = TopologyLabels.Where(labels.ContainsKey).Select(key => (key, labels[key]?.ToString() ?? "")).ToArray();
        _volumes[volume["metadata"]?["name"]?.ToString() ?? ""] = new Volume(terms, topology);
    }

    public void RemoveVolume(JsonObject volume) => _volumes.TryRemove(volume["metadata"]?["name"]?.ToString() ?? "", out _);

    public Claim? FindClaim(string ns, string name) => _claims.GetValueOrDefault($"{ns}/{name}");

    /// <summary>What each volume plugin answers for a claim that does not exist (yet): upstream's not-found error.</summary>
    public static Status ClaimNotFound(string name) => Status.Unresolvable($"persistentvolumeclaim \"{name}\" not found");

    public Volume? FindVolume(string name) => _volumes.GetValueOrDefault(name);

    /// <summary>A claim: the volume it is bound to (null while unbound), whether it is being deleted, and whether its access mode is ReadWriteOncePod.</summary>
    public sealed record Claim(string? VolumeName, bool Deleting, bool ReadWriteOncePod);

    /// <summary>
    /// A volume: the node selector terms one of which a node must satisfy (null: any node), and its topology labels
    /// (<see cref="TopologyLabels"/>) with their values.
    /// </summary>
    public sealed record Volume(NodeSelectorTerm[]? NodeTerms, IReadOnlyList<(string Key, string Value)> Topology)
    {
        public bool UsableOn(NodeInfo node) => NodeTerms is null || NodeTerms.Any(t => t.Matches(node.Name, node.Labels));
    }
}
