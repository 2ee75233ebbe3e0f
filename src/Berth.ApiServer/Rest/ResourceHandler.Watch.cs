using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Printing;
using Berth.Core.Errors;
using Berth.Storage;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>
    /// A watch: a chunked stream of JSON events, one per line, flushed one by one. Without a resourceVersion (or
    /// with "0") it starts with ADDED events for what exists now; with one, it sends every change after it.
    /// Objects moving in or out of the selectors appear as ADDED or DELETED, as upstream's watch cache does.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestTarget target)
    {
        var resource = target.Resource;
        var query = context.Request.Query;
        var filter = ListFilter.FromQuery(resource, query);
        var bookmarks = query["allowWatchBookmarks"] is ["true"] or ["1"];
        var tables = WantsTable(context) ? new TableEvents(printers, resource, query["includeObject"], time) : null;
        var prefix = resource.StoragePrefixFor(target.Namespace);
        if (target.Name is not null)
            prefix = resource.StorageKey(target.Namespace, target.Name);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (query["timeoutSeconds"] is [{ } seconds] && int.TryParse(seconds, CultureInfo.InvariantCulture, out var s) && s > 0)
            timeout.CancelAfter(TimeSpan.FromSeconds(s));
        var cancellationToken = timeout.Token;

        var requested = query["resourceVersion"] is [{ Length: > 0 } rv] ? rv : "";
        long after;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        if (requested is "" or "0")
        {
            var initial = await store.ListAsync(prefix, ListOptions.All, cancellationToken);
            after = initial.Revision;
            await context.Response.StartAsync(cancellationToken);
            foreach (var kv in initial.Items)
            {
                var obj = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision);
                if (filter.Matches(resource, obj))
                    await WriteEventAsync(context, "ADDED", tables?.Wrap(obj) ?? obj, cancellationToken);
            }
        }
        else
        {
            after = ParseResourceVersion(requested, "resourceVersion");
            await context.Response.StartAsync(cancellationToken);
        }
        await context.Response.Body.FlushAsync(cancellationToken);

        try
        {
            await foreach (var response in store.WatchAsync(prefix, after, cancellationToken))
            {
                if (response.IsCompacted)
                {
                    var gone = ApiStatus.Gone($"too old resource version: {after} ({response.CompactRevision})");
                    await WriteEventAsync(context, "ERROR", gone.ToJson(), cancellationToken);
                    return;
                }
                if (response.IsProgress)
                {
                    if (bookmarks)
                        await WriteEventAsync(context, "BOOKMARK", Bookmark(resource, response.Revision), cancellationToken);
                    continue;
                }
                foreach (var e in response.Events)
                {
                    // A watch on a name also sees keys that merely start with it; keep the exact one.
                    if (target.Name is not null && e.Kv.Key != prefix)
                        continue;
                    if (ToWatchEvent(resource, filter, e) is { } watchEvent)
                        await WriteEventAsync(context, watchEvent.Type, tables?.Wrap(watchEvent.Object) ?? watchEvent.Object, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the timeout passed: end the stream.
        }
    }

    private static (string Type, JsonObject Object)? ToWatchEvent(Core.Resources.ResourceInfo resource, ListFilter filter, WatchEvent e)
    {
        var previous = e.PrevKv is { } p ? ObjectJson.FromStored(p.Value.Span, p.ModRevision) : null;
        var wasIn = previous is not null && filter.Matches(resource, previous);
        if (e.Type == WatchEventType.Delete)
        {
            if (!wasIn)
                return null;
            // The deleted object as it last was, at the revision of its deletion.
            ObjectJson.Metadata(previous!)["resourceVersion"] = e.Revision.ToString(CultureInfo.InvariantCulture);
            return ("DELETED", previous!);
        }
        var current = ObjectJson.FromStored(e.Kv.Value.Span, e.Kv.ModRevision);
        var isIn = filter.Matches(resource, current);
        return (wasIn, isIn) switch
        {
            (false, true) => ("ADDED", current),
            (true, true) => ("MODIFIED", current),
            (true, false) => ("DELETED", current),
            _ => null,
        };
    }

    private static JsonObject Bookmark(Core.Resources.ResourceInfo resource, long revision) => new()
    {
        ["kind"] = resource.Kind,
        ["apiVersion"] = resource.GroupVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
    };

    private static async Task WriteEventAsync(HttpContext context, string type, JsonObject obj, CancellationToken cancellationToken)
    {
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            obj.WriteTo(writer);
            writer.WriteEndObject();
        }
        await context.Response.BodyWriter.WriteAsync(NewLine, cancellationToken);
        await context.Response.BodyWriter.FlushAsync(cancellationToken);
    }
}
