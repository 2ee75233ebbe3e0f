namespace Berth.ApiServer.Caching;

/// <summary>
/// A change the watch cache saw: the object after it (for a deletion, its last state stamped with the deleting
/// revision) and before it, so each watcher can tell whether the object entered, stayed in or left its selection.
/// </summary>
internal sealed record CacheEvent(CacheEventType Type, long Revision, CachedObject? Object, CachedObject? Previous);
