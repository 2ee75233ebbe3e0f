namespace Berth.ApiServer.Caching;

internal enum CacheEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>No change: the cache is current up to the event's revision (a bookmark for watchers who want them).</summary>
    Progress,
}
