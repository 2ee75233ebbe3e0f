using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Caching;

/// <summary>
/// One watch cache per served resource the server caches (all stored ones but events); the caches of custom resources
/// come and go with their definitions.
/// </summary>
internal sealed class WatchCaches : IAsyncDisposable
{
    private readonly IStore _store;
    private readonly WatchWindowSize _window;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Dictionary<(string Group, string Version, string Plural), Running> _caches = [];

    public WatchCaches(ResourceTable table, IStore store, WatchWindowSize window, TimeProvider clock, ILogger logger)
    {
        (_store, _window, _clock, _logger) = (store, window, clock, logger);
        Serve(table.All);
    }

    /// <summary>The cache of a served resource.</summary>
    public ResourceCache For(ResourceInfo resource)
    {
        lock (_gate)
            return _caches[(resource.Group, resource.Version, resource.Plural)].Cache;
    }

    /// <summary>Completes when every cache holds its first list.</summary>
    public Task Ready
    {
        get
        {
            lock (_gate)
                return Task.WhenAll(_caches.Values.Select(c => c.Cache.Ready));
        }
    }

    /// <summary>
    /// Keeps a cache for each of <paramref name="resources"/>: starts those of resources newly served and stops those
    /// of resources no longer served (their watchers are closed), as custom resources come and go.
    /// </summary>
    public void Serve(IEnumerable<ResourceInfo> resources)
    {
        List<Running> stopped;
        lock (_gate)
        {
            var next = new Dictionary<(string, string, string), Running>();
            foreach (var resource in resources.Where(r => r.Stored && r.Cached))
            {
                var key = (resource.Group, resource.Version, resource.Plural);
                next[key] = _caches.TryGetValue(key, out var running) ? running : Start(resource);
            }
            stopped = [.. _caches.Where(c => !next.ContainsKey(c.Key)).Select(c => c.Value)];
            _caches = next;
        }
        foreach (var cache in stopped)
        {
            cache.Stop.Cancel();
            _ = cache.Loop.ContinueWith(_ => cache.Stop.Dispose(), TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        List<Running> all;
        lock (_gate)
            all = [.. _caches.Values];
        await Task.WhenAll(all.Select(c => c.Loop));
        foreach (var cache in all)
            cache.Stop.Dispose();
        _stopping.Dispose();
    }

    private Running Start(ResourceInfo resource)
    {
        var cache = new ResourceCache(resource, _store, _window, _clock, _logger);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        return new Running(cache, stop, Task.Run(() => cache.RunAsync(stop.Token)));
    }

    private sealed record Running(ResourceCache Cache, CancellationTokenSource Stop, Task Loop);
}
