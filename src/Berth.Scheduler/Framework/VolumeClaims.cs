using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The PersistentVolumeClaims and PersistentVolumes, as volume binding weighs them: whether each claim is bound and to
/// which volume, and on which nodes each volume can be used (its <c>nodeAffinity</c>, for local volumes).
/// </summary>
public sealed class VolumeClaims
{
    private readonly ConcurrentDictionary<string, Claim> _claims = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Volume> _volumes = new(StringComparer.Ordinal);

    public void SetClaim(JsonObject claim)
    {
        var metadata = claim["metadata"];
        _claims[$"{metadata?["namespace"]}/{metadata?["name"]}"] = new Claim(
            claim["spec"]?["volumeName"]?.ToString() is { Length: > 0 } volume && claim["status"]?["phase"]?.ToString() == "Bound" ? volume : null,
            metadata?["deletionTimestamp"] is not null);
    }

    public void RemoveClaim(JsonObject claim) => _claims.TryRemove($"{claim["metadata"]?["namespace"]}/{claim["metadata"]?["name"]}", out _);

    public void SetVolume(JsonObject volume)
    {
        var terms = volume["spec"]?["nodeAffinity"]?["required"]?["nodeSelectorTerms"] is JsonArray given
            ? given.OfType<JsonObject>().Select(NodeSelectorTerm.Of).ToArray()
            : null;
        _volumes[volume["metadata"]?["name"]?.ToString() ?? ""] = new Volume(terms);
    }

    public void RemoveVolume(JsonObject volume) => _volumes.TryRemove(volume["metadata"]?["name"]?.ToString() ?? "", out _);

    public Claim? FindClaim(string ns, string name) => _claims.GetValueOrDefault($"{ns}/{name}");

    public Volume? FindVolume(string name) => _volumes.GetValueOrDefault(name);

    /// <summary>A claim: the volume it is bound to (null while unbound), and whether it is being deleted.</summary>
    public sealed record Claim(string? VolumeName, bool Deleting);

    /// <summary>A volume: the node selector terms one of which a node must satisfy (null: any node).</summary>
    public sealed record Volume(NodeSelectorTerm[]? NodeTerms)
    {
        public bool UsableOn(NodeInfo node) => NodeTerms is null || NodeTerms.Any(t => t.Matches(node.Name, node.Labels));
    }
}
