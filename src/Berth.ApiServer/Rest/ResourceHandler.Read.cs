using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Http;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.AspNetCore.Http;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private const string ExpiredContinue =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without " +
        "the continue parameter, or use the continue value from the response to continue from where you left off.";

    private static readonly TimeSpan TooLargeResourceVersionWait = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A GET. One that must see every write acknowledged before it (no resourceVersion) comes from the watch cache
    /// when the cache has caught up with the store, else from the store, as upstream reads etcd: under a stream of
    /// writes the cache is always a few milliseconds behind, and waiting for it made every such GET wait. A resource
    /// without a cache is always read from the store.
    /// </summary>
    private async Task GetAsync(HttpContext context, RequestTarget target)
    {
        var cache = target.Resource.Cached ? caches.For(target.Resource) : null;
        var requested = context.Request.Query["resourceVersion"] is [{ Length: > 0 } rv] ? rv : "";
        if (cache is null || (requested == "" && cache.Revision < await store.GetRevisionAsync(context.RequestAborted)))
        {
            var (current, revision) = await GetCurrentAsync(target, context.RequestAborted);
            await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, WantsTable(context) ? Table(context, target, current, revision) : current);
            return;
        }
        if (requested != "")
            await WaitForCacheAsync(cache, requested, context.RequestAborted);
        var cached = cache.Get(target.Resource.StorageKey(target.Namespace, target.Name!))
            ?? throw new ApiException(ApiStatus.NotFound(target.Resource, target.Name!));
        if (WantsTable(context))
        {
            await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, Table(context, target, cached.Parse(), cached.Revision));
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ApiResponse.Json;
        cached.Json.CopyTo(context.Response.BodyWriter);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private JsonObject Table(HttpContext context, RequestTarget target, JsonObject obj, long revision)
    {
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        return printers.Table(target.Resource, [obj], metadata, context.Request.Query["includeObject"], time.GetUtcNow());
    }

    /// <summary>
    /// A list. The first page comes from the watch cache, once it has caught up with what the request must see;
    /// later pages (a continue token) and exact-revision lists read the store at the first page's revision. A list at
    /// resourceVersion 0 has no later pages. A resource without a cache is listed from the store at its current
    /// revision, which is as fresh as any resourceVersion a client can have seen.
    /// </summary>
    private async Task ListAsync(HttpContext context, RequestTarget target)
    {
        var query = context.Request.Query;
        var filter = ListFilter.FromQuery(target.Resource, query);
        var limit = ParseLimit(query["limit"]);
        var prefix = target.Resource.StoragePrefixFor(target.Namespace);

        if (query["continue"] is [{ Length: > 0 } token])
        {
            var (revision, start) = ContinueToken.Decode(token, prefix);
            await ListFromStoreAsync(context, target, filter, limit, revision, start);
            return;
        }
        var requested = query["resourceVersion"] is [{ Length: > 0 } rv] ? rv : "";
        if (query["resourceVersionMatch"] is ["Exact"])
        {
            await ListFromStoreAsync(context, target, filter, limit, ParseResourceVersion(requested, "resourceVersion"), null);
            return;
        }
        if (!target.Resource.Cached)
        {
            if (requested is not ("" or "0"))
                ParseResourceVersion(requested, "resourceVersion");
            await ListFromStoreAsync(context, target, filter, limit, 0, null);
            return;
        }

        // resourceVersion=0 (any state will do, as informers list) is answered whole from the cache, limit or not, as
        // upstream's watch cache answers it: the pages after the first would each be a read of the store.
        if (requested == "0")
            limit = 0;
        var cache = caches.For(target.Resource);
        await WaitForCacheAsync(cache, requested, context.RequestAborted);
        var (objects, cacheRevision) = cache.Snapshot(prefix);
        var items = new List<CachedObject>();
        string? next = null;
        for (var i = 0; i < objects.Count; i++)
        {
            if (!filter.Matches(objects[i]))
                continue;
            items.Add(objects[i]);
            if (limit > 0 && items.Count == limit && i < objects.Count - 1)
            {
                next = ContinueToken.Encode(cacheRevision, objects[i].Key + "\0");
                break;
            }
        }
        await WriteListAsync(context, target, items, cacheRevision, next);
    }

    /// <summary>
    /// "" must see every write acknowledged before the request (the store's current revision); "0" takes the
    /// cache as it is; N must see N, and waits a little for it as upstream does.
    /// </summary>
    private async Task WaitForCacheAsync(ResourceCache cache, string requested, CancellationToken cancellationToken)
    {
        long wanted = requested switch
        {
            "" => await store.GetRevisionAsync(cancellationToken),
            "0" => 0,
            _ => ParseResourceVersion(requested, "resourceVersion"),
        };
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (requested is not "")
            wait.CancelAfter(TooLargeResourceVersionWait);
        try
        {
            await cache.WaitForRevisionAsync(wanted, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(new ApiStatus(504, "Timeout", $"Too large resource version: {wanted}, current: {cache.Revision}", RetryAfterSeconds: 1));
        }
    }

    /// <summary>
    /// Every object under <paramref name="prefix"/> now, and the revision that is: from the watch cache once it has
    /// caught up, or read from the store for a resource without one.
    /// </summary>
    private async Task<(List<CachedObject> Objects, long Revision)> CurrentObjectsAsync(ResourceInfo resource, string prefix, CancellationToken cancellationToken)
    {
        if (resource.Cached)
        {
            var cache = caches.For(resource);
            await WaitForCacheAsync(cache, "", cancellationToken);
            return cache.Snapshot(prefix);
        }
        while (true)
        {
            var (status, objects, revision) = await StoreSnapshot.ReadAsync(store, resource, prefix, cancellationToken);
            if (status == ReadStatus.Ok)
                return (objects, revision);
            // Compacted past the first page's revision between two pages: read again from now.
            if (status != ReadStatus.Compacted)
                throw new ApiException(ApiStatus.Internal($"cannot list {resource.QualifiedPlural}: {status}"));
        }
    }

    private async Task ListFromStoreAsync(HttpContext context, RequestTarget target, ListFilter filter, long limit, long revision, string? startKey)
    {
        var items = new List<CachedObject>();
        string? next = null;
        var fetch = limit == 0 ? 0 : filter.IsEverything ? limit : Math.Max(limit, 500);
        while (true)
        {
            var page = await store.ListAsync(target.Resource.StoragePrefixFor(target.Namespace), new ListOptions(revision, fetch, startKey), context.RequestAborted);
            if (page.Status == ReadStatus.Compacted)
                throw new ApiException(ApiStatus.Gone(ExpiredContinue));
            if (page.Status != ReadStatus.Ok)
                throw new ApiException(ApiStatus.BadRequest(page.Error ?? $"cannot list at resourceVersion {revision}: {page.Status}"));
            revision = page.Revision;

            for (var i = 0; i < page.Items.Count; i++)
            {
                var kv = page.Items[i];
                var obj = CachedObject.From(target.Resource, kv.Key, kv.Value.Span, kv.ModRevision);
                if (!filter.Matches(obj))
                    continue;
                items.Add(obj);
                if (limit > 0 && items.Count == limit && (i < page.Items.Count - 1 || page.More))
                {
                    next = ContinueToken.Encode(revision, kv.Key + "\0");
                    break;
                }
            }
            if (next is not null || !page.More)
                break;
            startKey = page.ContinueKey;
        }
        await WriteListAsync(context, target, items, revision, next);
    }

    /// <summary>Writes a list (or its Table): items go out as the bytes the cache holds, without serializing again.</summary>
    private async Task WriteListAsync(HttpContext context, RequestTarget target, List<CachedObject> items, long revision, string? next)
    {
        var resource = target.Resource;
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (next is not null)
            metadata["continue"] = next;
        var table = WantsTable(context);
        var includeObject = context.Request.Query["includeObject"].ToString();
        var now = time.GetUtcNow();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ApiResponse.Json;
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, WireJson.Writer);
        writer.WriteStartObject();
        writer.WriteString("kind", table ? "Table" : resource.ListKind);
        writer.WriteString("apiVersion", table ? "meta.k8s.io/v1" : resource.GroupVersion);
        writer.WritePropertyName("metadata");
        metadata.WriteTo(writer);
        if (table)
        {
            writer.WritePropertyName("columnDefinitions");
            printers.Columns(resource).WriteTo(writer);
        }
        writer.WriteStartArray(table ? "rows" : "items");
        long flushed = 0;
        foreach (var item in items)
        {
            // Items go out as the bytes the cache holds; a row is printed from a fresh parse and then dropped.
            if (table)
                printers.Row(resource, item.Parse(), includeObject, now).WriteTo(writer);
            else
                item.Json.WriteTo(writer);
            // Flush the pipe every 64 KiB, which waits while the client is behind. A writer over a pipe only commits
            // to it (BytesPending never passes one buffer), so without this a 30 MB list would sit in the pipe whole,
            // costing its size in pooled buffers that the server keeps afterwards.
            if (writer.BytesCommitted + writer.BytesPending - flushed > 64 * 1024)
            {
                writer.Flush();
                flushed = writer.BytesCommitted;
                await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private static long ParseLimit(Microsoft.Extensions.Primitives.StringValues value)
    {
        if (value is not [{ Length: > 0 } text])
            return 0;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            ? limit
            : throw new ApiException(ApiStatus.BadRequest($"invalid limit \"{text}\": must be a non-negative integer"));
    }
}
