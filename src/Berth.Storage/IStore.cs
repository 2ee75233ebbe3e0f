namespace Berth.Storage;

/// <summary>
/// A multi-version key-value store with etcd's semantics, as the Kubernetes API server needs them.
/// One global revision is incremented by every successful write; every key carries its create and
/// modification revisions. Expected outcomes (exists, conflict, not found, compacted) are result
/// values; exceptions mean the store itself failed.
/// </summary>
public interface IStore : IAsyncDisposable
{
    /// <summary>Creates <paramref name="key"/> unless it exists (then <see cref="WriteStatus.KeyExists"/> with the current value).</summary>
    Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, long lease, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the value of <paramref name="key"/> if its modification revision is still
    /// <paramref name="expectedModRevision"/>; otherwise <see cref="WriteStatus.Conflict"/> with the current value.
    /// </summary>
    Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, long lease, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes <paramref name="key"/>, guarded by <paramref name="expectedModRevision"/> when given.
    /// On success <see cref="WriteResult.Kv"/> is the value that was deleted.
    /// </summary>
    Task<WriteResult> DeleteAsync(string key, long? expectedModRevision, CancellationToken cancellationToken);

    /// <summary>Reads one key, at the current revision when <paramref name="revision"/> is 0.</summary>
    Task<GetResult> GetAsync(string key, long revision, CancellationToken cancellationToken);

    /// <summary>Lists the keys under <paramref name="prefix"/> in key order, consistent at one revision across pages.</summary>
    Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken);

    /// <summary>Counts the live keys under <paramref name="prefix"/>.</summary>
    Task<long> CountAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Streams, in revision order, every change under <paramref name="prefix"/> after <paramref name="afterRevision"/>
    /// (to follow from now on, pass the revision of a list or of <see cref="GetStatusAsync"/>). Idle watchers receive progress responses carrying the current revision. When the
    /// history they ask for has been compacted, the stream yields one compacted response and ends.
    /// </summary>
    IAsyncEnumerable<WatchResponse> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken);

    /// <summary>Discards the history at and before <paramref name="revision"/>; the current value of every key stays.</summary>
    Task<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken);

    /// <summary>Grants a lease: keys attached to it are deleted when it expires or is revoked.</summary>
    Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Revokes a lease now, deleting its keys. False if no such lease exists.</summary>
    Task<bool> RevokeLeaseAsync(long lease, CancellationToken cancellationToken);

    /// <summary>The current revision: every write acknowledged before the call is at or below it (cheap; for consistent reads).</summary>
    Task<long> GetRevisionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Asks every open watch to report the current revision soon, as a progress response, so that a reader waiting
    /// to catch up with a revision need not wait for the periodic one (etcd's progress request).
    /// </summary>
    void RequestWatchProgress();

    /// <summary>The current and compacted revisions and the size of the data on disk.</summary>
    Task<StoreStatus> GetStatusAsync(CancellationToken cancellationToken);
}
