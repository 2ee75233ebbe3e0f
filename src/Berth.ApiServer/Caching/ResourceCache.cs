using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Caching;

/// <summary>
/// The watch cache of one resource (ARCHITECTURE.md 3.3): an in-memory copy of its current objects and a window
/// of recent events, fed by a single store watch. Lists and watches are served from it; writes go to the store
/// and come back through the watch. After a compaction that outran it, it lists again and ends its watchers,
/// who start over from the fresh state.
/// </summary>
internal sealed partial class ResourceCache
{
    /// <summary>How far a watcher may fall behind before it is ended; its client then resumes from the window, which reaches further back.</summary>
    private const int WatcherBuffer = 10_000;
    private static readonly TimeSpan ProgressRetry = TimeSpan.FromMilliseconds(50);

    private readonly ResourceInfo _resource;
    private readonly IStore _store;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, CachedObject> _objects = new(StringComparer.Ordinal);
    private readonly EventWindow _window;
    private readonly List<CacheWatcher> _watchers = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;

    public ResourceCache(ResourceInfo resource, IStore store, WatchWindowSize window, TimeProvider clock, ILogger logger)
    {
        _resource = resource;
        _store = store;
        _window = new EventWindow(window, clock);
        _logger = logger;
    }

    public ResourceInfo Resource => _resource;

    /// <summary>Completes once the first list has been loaded.</summary>
    public Task Ready => _ready.Task;

    public long Revision
    {
        get
        {
            lock (_gate)
                return _revision;
        }
    }

    /// <summary>Keeps the cache current until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var revision = await LoadAsync(cancellationToken);
                _ready.TrySetResult();
                await FollowAsync(revision, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.CacheFailed(_logger, _resource.QualifiedPlural, e);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        lock (_gate)
        {
            foreach (var watcher in _watchers)
                watcher.Close();
            _watchers.Clear();
        }
    }

    /// <summary>The objects under <paramref name="prefix"/> in key order, and the revision they are current at.</summary>
    public (List<CachedObject> Objects, long Revision) Snapshot(string prefix)
    {
        lock (_gate)
        {
            var objects = new List<CachedObject>();
            foreach (var (key, obj) in _objects)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                    objects.Add(obj);
            }
            return (objects, _revision);
        }
    }

    /// <summary>The current version of one object, or null.</summary>
    public CachedObject? Get(string key)
    {
        lock (_gate)
            return _objects.GetValueOrDefault(key);
    }

    /// <summary>
    /// Waits until the cache has seen every change up to <paramref name="revision"/>. A resource nobody writes hears
    /// of newer revisions only through progress reports, so the wait asks the store for one, and asks again while
    /// the answer is slow in coming.
    /// </summary>
    public async Task WaitForRevisionAsync(long revision, CancellationToken cancellationToken)
    {
        await _ready.Task.WaitAsync(cancellationToken);
        while (true)
        {
            Task advanced;
            lock (_gate)
            {
                if (_revision >= revision)
                    return;
                advanced = _advanced.Task;
            }
            _store.RequestWatchProgress();
            await Task.WhenAny(advanced, Task.Delay(ProgressRetry, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Starts a watch of the changes under <paramref name="prefix"/> after <paramref name="afterRevision"/> to objects
    /// of <paramref name="interest"/> (before or after the change; null: all), or returns null (with the oldest revision
    /// still held) when the window no longer reaches back that far.
    /// </summary>
    public CacheWatcher? Watch(string prefix, long afterRevision, out long oldestRevision, Func<CachedObject?, bool>? interest = null, string who = "")
    {
        lock (_gate)
        {
            oldestRevision = _window.OldestRevision;
            if (afterRevision < oldestRevision)
                return null;
            // Room for the history on top of the usual buffer: a watcher resuming further back than the buffer reaches
            // (the window reaches further) would otherwise be ended before it had begun.
            var history = _window.After(afterRevision).ToList();
            var watcher = new CacheWatcher(prefix, WatcherBuffer + history.Count, interest) { Who = who };
            foreach (var e in history)
                watcher.Offer(e);
            _watchers.Add(watcher);
            return watcher;
        }
    }

    public void Unwatch(CacheWatcher watcher)
    {
        lock (_gate)
            _watchers.Remove(watcher);
        watcher.Close();
    }

    /// <summary>Lists everything from the store, page by page at one revision, and makes it the cache's state.</summary>
    private async Task<long> LoadAsync(CancellationToken cancellationToken)
    {
        var (status, loaded, revision) = await StoreSnapshot.ReadAsync(_store, _resource, _resource.StoragePrefix, cancellationToken);
        if (status != ReadStatus.Ok)
            throw new InvalidOperationException($"listing {_resource.StoragePrefix} failed: {status}");

        lock (_gate)
        {
            _objects.Clear();
            foreach (var obj in loaded)
                _objects[obj.Key] = obj;
            _window.Reset(revision);
            // Watchers that were following the previous state cannot be continued: they start over.
            foreach (var watcher in _watchers)
                watcher.Close();
            _watchers.Clear();
            Advance(revision);
        }
        return revision;
    }

    private async Task FollowAsync(long revision, CancellationToken cancellationToken)
    {
        await foreach (var response in _store.WatchAsync(_resource.StoragePrefix, revision, cancellationToken))
        {
            if (response.IsCompacted)
                return;
            // Parse outside the lock; inside it only the maps change.
            var changes = response.Events.Select(e => (Event: e, Object: e.Type == WatchEventType.Delete
                ? e.PrevKv is { } p ? CachedObject.From(_resource, e.Kv.Key, p.Value.Span, e.Revision) : null
                : CachedObject.From(_resource, e.Kv.Key, e.Kv.Value.Span, e.Revision))).ToList();
            Apply(changes, response.Revision);
        }
    }

    /// <summary>
    /// Applies a response's changes in order. Each event's previous state is what the cache held just before it,
    /// so two changes to one key in one response read as an add and a modification.
    /// </summary>
    private void Apply(List<(WatchEvent Event, CachedObject? Object)> changes, long revision)
    {
        lock (_gate)
        {
            if (changes.Count == 0)
            {
                var progress = new CacheEvent(CacheEventType.Progress, revision, null, null);
                foreach (var watcher in _watchers)
                    watcher.Offer(progress);
            }
            foreach (var (e, obj) in changes)
            {
                var previous = _objects.GetValueOrDefault(e.Kv.Key);
                CacheEvent cacheEvent;
                if (e.Type == WatchEventType.Delete)
                {
                    _objects.Remove(e.Kv.Key);
                    cacheEvent = new CacheEvent(CacheEventType.Deleted, e.Revision, obj, previous);
                }
                else
                {
                    _objects[e.Kv.Key] = obj!;
                    cacheEvent = new CacheEvent(previous is null ? CacheEventType.Added : CacheEventType.Modified, e.Revision, obj, previous);
                }
                _window.Add(cacheEvent);
                foreach (var watcher in _watchers)
                {
                    if (!watcher.Offer(cacheEvent))
                        Log.WatcherBehind(_logger, watcher.Prefix, watcher.Who);
                }
            }
            Advance(Math.Max(revision, _revision));
        }
    }

    private void Advance(long revision)
    {
        _revision = revision;
        var advanced = _advanced;
        _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        advanced.TrySetResult();
    }

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Warning, "The watch cache of {Resource} lost its store watch; listing again")]
        public static partial void CacheFailed(ILogger logger, string resource, Exception exception);

        [LoggerMessage(2011, LogLevel.Information, "Ended the watch of {Prefix} by {Who}: it fell too far behind; its client watches again from where it stopped")]
        public static partial void WatcherBehind(ILogger logger, string prefix, string who);
    }
}
