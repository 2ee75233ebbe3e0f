using Berth.ApiServer.Caching;
using Berth.Core.Resources;

namespace Berth.ApiServer.Discovery;

/// <summary>
/// What the server serves right now: the resource table and its discovery documents, replaced together whenever a
/// CustomResourceDefinition adds, changes or removes resources. Requests read one consistent snapshot.
/// </summary>
internal sealed class ServedResources
{
    private readonly WatchCaches _caches;
    private volatile Snapshot _current;

    public ServedResources(ResourceTable table, WatchCaches caches)
    {
        _caches = caches;
        _current = new Snapshot(table, new DiscoveryDocuments(table));
    }

    public ResourceTable Table => _current.Table;

    public DiscoveryDocuments Discovery => _current.Discovery;

    /// <summary>Serves the built-in resources and <paramref name="custom"/> ones, with a cache for each.</summary>
    public void ServeCustom(IReadOnlyList<ResourceInfo> custom)
    {
        var table = _current.Table.WithCustom(custom);
        _caches.Serve(table.All);
        _current = new Snapshot(table, new DiscoveryDocuments(table));
    }

    private sealed record Snapshot(ResourceTable Table, DiscoveryDocuments Discovery);
}
