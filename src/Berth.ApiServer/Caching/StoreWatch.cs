using Berth.Core.Resources;
using Berth.Storage;

namespace Berth.ApiServer.Caching;

/// <summary>
/// A watch of a resource the server keeps no cache of (events): the store's own watch of the prefix, turned into the
/// cache's events, so one loop serves both kinds of watch. A watch from a compacted revision gets an
/// <see cref="CacheEventType.Expired"/> event. Disposing ends the store's watch.
/// </summary>
internal sealed class StoreWatch : IAsyncDisposable
{
    /// <summary>As far as a watch of the cache may fall behind.</summary>
    private const int Buffer = 10_000;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _feeding;

    private StoreWatch(ResourceInfo resource, IStore store, string prefix, long afterRevision, Func<CachedObject?, bool>? interest)
    {
        Watcher = new CacheWatcher(prefix, Buffer, interest);
        _feeding = FeedAsync(resource, store, afterRevision, _stop.Token);
    }

    public CacheWatcher Watcher { get; }

    /// <summary>Starts watching the changes under <paramref name="prefix"/> after <paramref name="afterRevision"/>.</summary>
    public static StoreWatch Start(ResourceInfo resource, IStore store, string prefix, long afterRevision, Func<CachedObject?, bool>? interest) =>
        new(resource, store, prefix, afterRevision, interest);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _feeding;
        _stop.Dispose();
    }

    private async Task FeedAsync(ResourceInfo resource, IStore store, long afterRevision, CancellationToken cancellationToken)
    {
        // Off the caller's thread: the store's first replay is read before the watch's first await.
        await Task.Yield();
        try
        {
            await foreach (var response in store.WatchAsync(Watcher.Prefix, afterRevision, cancellationToken))
            {
                if (response.IsCompacted)
                {
                    Watcher.Offer(new CacheEvent(CacheEventType.Expired, response.CompactRevision, null, null));
                    break;
                }
                if (response.IsProgress)
                    Watcher.Offer(new CacheEvent(CacheEventType.Progress, response.Revision, null, null));
                foreach (var e in response.Events)
                {
                    if (Change(resource, e) is { } change)
                        Watcher.Offer(change);
                }
            }
            Watcher.Close();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Watcher.Close();
        }
        catch (Exception e)
        {
            Watcher.Close(e);
        }
    }

    /// <summary>
    /// The cache's form of a store change: a deletion carries the last state, stamped with the deleting revision, which
    /// also stands for the state before it (the stores give every change its previous state; a deletion without one
    /// says nothing to send).
    /// </summary>
    private static CacheEvent? Change(ResourceInfo resource, WatchEvent e)
    {
        if (e.Type == WatchEventType.Delete)
        {
            var last = e.PrevKv is { } gone ? CachedObject.From(resource, gone.Key, gone.Value.Span, e.Revision) : null;
            return last is null ? null : new CacheEvent(CacheEventType.Deleted, e.Revision, last, last);
        }
        var previous = e.PrevKv is { } p ? CachedObject.From(resource, p.Key, p.Value.Span, p.ModRevision) : null;
        var current = CachedObject.From(resource, e.Kv.Key, e.Kv.Value.Span, e.Revision);
        return new CacheEvent(previous is null ? CacheEventType.Added : CacheEventType.Modified, e.Revision, current, previous);
    }
}
