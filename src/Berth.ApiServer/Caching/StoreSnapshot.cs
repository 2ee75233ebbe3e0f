using Berth.Core.Resources;
using Berth.Storage;

namespace Berth.ApiServer.Caching;

/// <summary>Every object under a prefix, read from the store page by page at one revision, in the cache's form.</summary>
internal static class StoreSnapshot
{
    private const int PageSize = 1000;

    /// <summary>
    /// The objects and the revision they were read at; a status other than Ok (compacted between two pages, say) with
    /// what was read before it.
    /// </summary>
    public static async Task<(ReadStatus Status, List<CachedObject> Objects, long Revision)> ReadAsync(IStore store, ResourceInfo resource, string prefix,
        CancellationToken cancellationToken)
    {
        var objects = new List<CachedObject>();
        long revision = 0;
        string? start = null;
        while (true)
        {
            var page = await store.ListAsync(prefix, new ListOptions(revision, PageSize, start), cancellationToken);
            if (page.Status != ReadStatus.Ok)
                return (page.Status, objects, revision);
            revision = page.Revision;
            foreach (var kv in page.Items)
                objects.Add(CachedObject.From(resource, kv.Key, kv.Value.Span, kv.ModRevision));
            if (!page.More)
                return (ReadStatus.Ok, objects, revision);
            start = page.ContinueKey;
        }
    }
}
