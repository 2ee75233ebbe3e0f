namespace Berth.Storage;

/// <param name="Revision">The current revision.</param>
/// <param name="CompactRevision">The compacted revision (etcd: the last one this client compacted to).</param>
/// <param name="SizeBytes">The size of the data on disk.</param>
public sealed record StoreStatus(long Revision, long CompactRevision, long SizeBytes);
