namespace Berth.Storage;

/// <summary>
/// What a watch stream yields: a batch of events in revision order, a progress notification (no events;
/// every change up to <see cref="Revision"/> has been delivered), or the compacted outcome (the stream ends).
/// </summary>
/// <param name="Revision">Events: the revision of the last one. Progress: the current revision.</param>
/// <param name="Events">The events, possibly none.</param>
/// <param name="CompactRevision">Non-zero when the history the watcher asked for is gone: the compacted revision.</param>
public sealed record WatchResponse(long Revision, IReadOnlyList<WatchEvent> Events, long CompactRevision = 0)
{
    public bool IsCompacted => CompactRevision != 0;

    public bool IsProgress => Events.Count == 0 && !IsCompacted;

    public static WatchResponse Progress(long revision) => new(revision, []);

    public static WatchResponse Compacted(long compactRevision) => new(0, [], compactRevision);
}
