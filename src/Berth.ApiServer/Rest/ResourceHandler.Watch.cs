using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Observability;
using Berth.ApiServer.Http;
using Berth.ApiServer.Printing;
using Berth.ApiServer.Security;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// A watch, served from the watch cache (for a resource without one, from the store's watch): a chunked stream of
    /// JSON events, one per line, sent whenever no more are queued. Without a resourceVersion (or with "0") it starts
    /// with ADDED events for what exists now; with one, it sends every change after it, or a 410 ERROR event when the
    /// cache's window (the store's history) no longer reaches back that far. Objects moving in or out of the
    /// selectors appear as ADDED or DELETED.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestTarget target)
    {
        var resource = target.Resource;
        var query = context.Request.Query;
        var filter = ListFilter.FromQuery(resource, query);
        var bookmarks = query["allowWatchBookmarks"] is ["true"] or ["1"];
        var tables = WantsTable(context) ? new TableEvents(printers, resource, query["includeObject"], time) : null;
        var exactKey = target.Name is null ? null : resource.StorageKey(target.Namespace, target.Name);
        var prefix = exactKey ?? resource.StoragePrefixFor(target.Namespace);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (query["timeoutSeconds"] is [{ } seconds] && int.TryParse(seconds, CultureInfo.InvariantCulture, out var s) && s > 0)
            timeout.CancelAfter(TimeSpan.FromSeconds(s));
        var cancellationToken = timeout.Token;
        using var open = metrics.LongRunning(context.Features.Get<RequestLabels>()!);

        var cache = resource.Cached ? caches.For(resource) : null;
        if (cache is not null)
            await cache.Ready.WaitAsync(cancellationToken);
        var requested = query["resourceVersion"] is [{ Length: > 0 } rv] ? rv : "";
        List<CachedObject> initial = [];
        long after;
        // WatchList (sendInitialEvents=true): the current state first, whatever the resourceVersion, then a bookmark
        // that says the initial events are over.
        var sendInitialEvents = query["sendInitialEvents"] is ["true"];
        if (sendInitialEvents || requested is "" or "0")
        {
            // WatchList waits for the cache to reach the resourceVersion given; the store is as new as any.
            if (cache is not null && sendInitialEvents)
                await WaitForCacheAsync(cache, requested, cancellationToken);
            else if (requested is not ("" or "0"))
                ParseResourceVersion(requested, "resourceVersion");
            (initial, after) = cache?.Snapshot(prefix) ?? await CurrentObjectsAsync(resource, prefix, cancellationToken);
        }
        else
        {
            after = ParseResourceVersion(requested, "resourceVersion");
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ApiResponse.Json;
        await context.Response.StartAsync(cancellationToken);

        Func<CachedObject?, bool>? interest = filter.IsEverything ? null : filter.Matches;
        await using var storeWatch = cache is null ? StoreWatch.Start(resource, store, prefix, after, interest) : null;
        long oldest = 0;
        var watcher = storeWatch?.Watcher ?? cache!.Watch(prefix, after, out oldest, interest, context.Features.Get<UserInfo>()?.Name ?? "");
        var stream = new WatchEventWriter(context.Response.BodyWriter);
        if (watcher is null)
        {
            await WriteGoneAsync(stream, after, oldest, cancellationToken);
            return;
        }
        try
        {
            foreach (var obj in initial)
            {
                if ((exactKey is null || obj.Key == exactKey) && filter.Matches(obj))
                    await stream.WriteAsync("ADDED", obj, tables, cancellationToken);
            }
            if (sendInitialEvents)
            {
                var end = Bookmark(resource, after);
                ObjectJson.Metadata(end)["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
                await stream.WriteAsync("BOOKMARK", end, cancellationToken);
            }
            await stream.FlushAsync(cancellationToken);

            var events = watcher.Events;
            while (await events.WaitToReadAsync(cancellationToken) && !watcher.FellBehind)
            {
                while (!watcher.FellBehind && events.TryRead(out var e))
                {
                    if (e.Type == CacheEventType.Progress)
                    {
                        if (bookmarks)
                            await stream.WriteAsync("BOOKMARK", Bookmark(resource, e.Revision), cancellationToken);
                        continue;
                    }
                    if (e.Type == CacheEventType.Expired)
                    {
                        await WriteGoneAsync(stream, after, e.Revision, cancellationToken);
                        return;
                    }
                    if (exactKey is not null && (e.Object ?? e.Previous)!.Key != exactKey)
                        continue;
                    if (Classify(filter, e) is { } type)
                        await stream.WriteAsync(type, e.Object!, tables, cancellationToken);
                }
                // Nothing more is queued: send what gathered.
                await stream.FlushAsync(cancellationToken);
            }
            // The feed ended because this client fell too far behind: end the stream (what was queued is dropped); it
            // watches again from the last event it got.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the timeout passed: end the stream.
        }
        finally
        {
            cache?.Unwatch(watcher);
        }
    }

    private static async Task WriteGoneAsync(WatchEventWriter stream, long after, long oldest, CancellationToken cancellationToken)
    {
        var gone = ApiStatus.Gone($"too old resource version: {after} ({oldest})");
        await stream.WriteAsync("ERROR", gone.ToJson(), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>How an event looks through a selector: objects entering it are ADDED, leaving it DELETED.</summary>
    private static string? Classify(ListFilter filter, CacheEvent e)
    {
        var wasIn = filter.Matches(e.Previous);
        if (e.Type == CacheEventType.Deleted)
            return wasIn && e.Object is not null ? "DELETED" : null;
        var isIn = filter.Matches(e.Object);
        return (wasIn, isIn) switch
        {
            (false, true) => "ADDED",
            (true, true) => "MODIFIED",
            (true, false) => "DELETED",
            _ => null,
        };
    }

    private static JsonObject Bookmark(Core.Resources.ResourceInfo resource, long revision) => new()
    {
        ["kind"] = resource.Kind,
        ["apiVersion"] = resource.GroupVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
    };
}
