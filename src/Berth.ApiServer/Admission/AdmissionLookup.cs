using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;
using Berth.Storage;

namespace Berth.ApiServer.Admission;

/// <summary>How admission reads an object it depends on: from the watch cache, or from the store when it is too new for the cache.</summary>
internal static class AdmissionLookup
{
    public static async Task<JsonObject?> FindAsync(IStore store, WatchCaches caches, ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken)
    {
        var key = resource.StorageKey(ns, name);
        if (caches.For(resource).Get(key) is { } cached)
            return cached.Parse();
        return (await store.GetAsync(key, 0, cancellationToken)).Kv is { } kv ? ObjectJson.FromStored(kv.Value.Span, kv.ModRevision) : null;
    }
}
