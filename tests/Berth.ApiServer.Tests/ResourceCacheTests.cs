using System.Text;
using Berth.ApiServer.Caching;
using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.ApiServer.Tests;

public sealed class ResourceCacheTests
{
    private static readonly ResourceInfo ConfigMaps = ResourceTable.BuiltIn.Find("", "v1", "configmaps")!;

    [Fact]
    public async Task Apply_WhenOneResponseChangesAKeyTwice_ThenTheSecondChangeIsAModification()
    {
        var store = new ScriptedStore();
        var cache = new ResourceCache(ConfigMaps, store, WatchWindowSize.Default, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = cache.RunAsync(stop.Token);
        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        var watcher = cache.Watch(ConfigMaps.StoragePrefix, 1, out _)!;

        const string Key = "/registry/configmaps/default/a";
        var created = Kv(Key, 2, """{"metadata":{"name":"a"},"data":{"v":"1"}}""");
        var updated = Kv(Key, 3, """{"metadata":{"name":"a"},"data":{"v":"2"}}""");
        store.Feed(new WatchResponse(3, [new WatchEvent(WatchEventType.Put, created, null), new WatchEvent(WatchEventType.Put, updated, created)]));
        await cache.WaitForRevisionAsync(3, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var events = new List<CacheEvent>();
        while (watcher.Events.TryRead(out var e))
            events.Add(e);
        Assert.Equal([CacheEventType.Added, CacheEventType.Modified], events.Select(e => e.Type));
        Assert.Same(events[0].Object, events[1].Previous);
        Assert.Equal(3, cache.Get(Key)!.Revision);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task WaitForRevision_WhenOnlyOtherResourcesChanged_ThenAsksTheStoreForProgressInsteadOfWaitingForIt()
    {
        // The store's watch sends nothing by itself: only a progress request can tell the cache about revision 5.
        var store = new ScriptedStore { ProgressRevision = 5 };
        var cache = new ResourceCache(ConfigMaps, store, WatchWindowSize.Default, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = cache.RunAsync(stop.Token);
        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));

        await cache.WaitForRevisionAsync(5, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, cache.Revision);
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Watch_FromFurtherBackThanAWatcherMayFallBehind_ReplaysTheWindowWithoutEndingTheWatcher()
    {
        // More events than a watcher may have queued (10,000), all inside the window (the last 75 s).
        const int Changes = 10_050;
        var store = new ScriptedStore();
        var cache = new ResourceCache(ConfigMaps, store, WatchWindowSize.Default, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = cache.RunAsync(stop.Token);
        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        var events = Enumerable.Range(0, Changes)
            .Select(i => new WatchEvent(WatchEventType.Put, Kv($"/registry/configmaps/default/c{i}", 2 + i, $$$"""{"metadata":{"name":"c{{{i}}}"}}"""), null))
            .ToList();
        store.Feed(new WatchResponse(1 + Changes, events));
        await cache.WaitForRevisionAsync(1 + Changes, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var watcher = cache.Watch(ConfigMaps.StoragePrefix, 1, out _)!;

        var replayed = 0;
        while (watcher.Events.TryRead(out _))
            replayed++;
        Assert.Equal(Changes, replayed);
        Assert.False(watcher.Events.Completion.IsCompleted);
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public void Offer_WhenTheBufferIsFull_ThenEndsTheWatcherAsFallenBehindSoThatWhatIsQueuedIsDropped()
    {
        var watcher = new CacheWatcher(ConfigMaps.StoragePrefix, capacity: 2);
        var events = Enumerable.Range(0, 3).Select(i => new CacheEvent(CacheEventType.Added, 2 + i,
            CachedObject.From(ConfigMaps, $"/registry/configmaps/default/c{i}", Encoding.UTF8.GetBytes($$$"""{"metadata":{"name":"c{{{i}}}"}}"""), 2 + i), null)).ToList();

        Assert.True(watcher.Offer(events[0]));
        Assert.True(watcher.Offer(events[1]));
        Assert.False(watcher.FellBehind);
        Assert.False(watcher.Offer(events[2]));

        Assert.True(watcher.FellBehind);
        Assert.True(watcher.Offer(events[2]));
    }

    private static KeyValue Kv(string key, long revision, string json) => new(key, Encoding.UTF8.GetBytes(json), 2, revision, revision - 1, 0);
}
