namespace Berth.ApiServer.Caching;

internal enum CacheEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>No change: the cache is current up to the event's revision (a bookmark for watchers who want them).</summary>
    Progress,

    /// <summary>The history a watch of the store was to start from is compacted away: the watch ends with a 410.</summary>
    Expired,
}
