namespace Berth.Storage;

/// <summary>One version of a key.</summary>
/// <param name="Key">The key, e.g. <c>/registry/pods/default/web-0</c>.</param>
/// <param name="Value">The stored bytes (empty for a deletion in a watch event).</param>
/// <param name="CreateRevision">The revision that created the key (its current incarnation).</param>
/// <param name="ModRevision">The revision of the last write to the key.</param>
/// <param name="Version">How many times the key was written since it was created, starting at 1.</param>
/// <param name="Lease">The lease the key is attached to, or 0.</param>
public sealed record KeyValue(string Key, ReadOnlyMemory<byte> Value, long CreateRevision, long ModRevision, long Version, long Lease);
