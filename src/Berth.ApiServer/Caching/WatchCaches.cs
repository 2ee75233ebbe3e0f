using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Caching;

/// <summary>One watch cache per served resource, started together and stopped together.</summary>
internal sealed class WatchCaches : IAsyncDisposable
{
    private readonly Dictionary<ResourceInfo, ResourceCache> _caches = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public WatchCaches(ResourceTable table, IStore store, int windowCapacity, ILogger logger)
    {
        foreach (var resource in table.All)
        {
            var cache = new ResourceCache(resource, store, windowCapacity, logger);
            _caches[resource] = cache;
            _loops.Add(Task.Run(() => cache.RunAsync(_stopping.Token)));
        }
    }

    public ResourceCache For(ResourceInfo resource) => _caches[resource];

    /// <summary>Completes when every cache holds its first list.</summary>
    public Task Ready => Task.WhenAll(_caches.Values.Select(c => c.Ready));

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }
}
