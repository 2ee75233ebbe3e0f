using System.Text.Json;
using Berth.Client.Discovery;

namespace Berth.Controllers.GarbageCollector;

/// <summary>What the garbage collector knows of one object: who it is, whom it belongs to, and whether it is going.</summary>
internal sealed record GraphObject(
    ApiResource Resource, string? Namespace, string Name, string Uid, string ResourceVersion,
    IReadOnlyList<OwnerRef> Owners, IReadOnlyList<string> Finalizers, bool Deleting)
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    public static GraphObject Read(ApiResource resource, JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        return new GraphObject(
            resource,
            metadata.TryGetProperty("namespace", out var ns) && ns.GetString() is { Length: > 0 } n ? n : null,
            metadata.GetProperty("name").GetString()!,
            metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
            metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "",
            metadata.TryGetProperty("ownerReferences", out var owners) && owners.ValueKind == JsonValueKind.Array
                ? [.. owners.EnumerateArray().Select(OwnerRef.Read)]
                : [],
            metadata.TryGetProperty("finalizers", out var finalizers) && finalizers.ValueKind == JsonValueKind.Array
                ? [.. finalizers.EnumerateArray().Select(f => f.GetString()!)]
                : [],
            metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind == JsonValueKind.String);
    }

    /// <summary>Being deleted in the foreground: it waits for the dependents that block it.</summary>
    public bool WaitsForDependents => Deleting && Finalizers.Contains(ForegroundFinalizer);

    /// <summary>Being deleted with its dependents orphaned.</summary>
    public bool Orphaning => Deleting && Finalizers.Contains(OrphanFinalizer);

    public string Path => Resource.ObjectPath(Namespace, Name);

    public override string ToString() => Namespace is null ? $"{Resource}/{Name}" : $"{Resource} {Namespace}/{Name}";
}
