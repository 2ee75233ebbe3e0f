namespace Berth.Storage;

/// <param name="Status">What happened.</param>
/// <param name="CompactRevision">The store's compacted revision afterwards (as far as this client knows).</param>
public sealed record CompactResult(CompactStatus Status, long CompactRevision);
