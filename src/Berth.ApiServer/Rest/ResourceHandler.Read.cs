using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.Core.Errors;
using Berth.Storage;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private const string ExpiredContinue =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without " +
        "the continue parameter, or use the continue value from the response to continue from where you left off.";

    private async Task GetAsync(HttpContext context, RequestTarget target)
    {
        var (obj, _) = await GetCurrentAsync(target, context.RequestAborted);
        if (WantsTable(context))
        {
            var metadata = new JsonObject { ["resourceVersion"] = ObjectJson.Metadata(obj)["resourceVersion"]?.DeepClone() };
            obj = printers.Table(target.Resource, [obj], metadata, context.Request.Query["includeObject"], time.GetUtcNow());
        }
        await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, obj);
    }

    private async Task ListAsync(HttpContext context, RequestTarget target)
    {
        var resource = target.Resource;
        var query = context.Request.Query;
        var filter = ListFilter.FromQuery(resource, query);
        var limit = ParseLimit(query["limit"]);
        var prefix = resource.StoragePrefixFor(target.Namespace);

        long revision = 0;
        string? startKey = null;
        if (query["continue"] is [{ Length: > 0 } token])
            (revision, startKey) = ContinueToken.Decode(token, prefix);
        else if (query["resourceVersionMatch"] is ["Exact"])
            revision = ParseResourceVersion(query["resourceVersion"], "resourceVersion");

        var items = new JsonArray();
        string? next = null;
        // With selectors, pages are fetched bigger than the limit and filtered until the limit fills.
        var fetch = limit == 0 ? 0 : filter.IsEverything ? limit : Math.Max(limit, 500);
        while (true)
        {
            var page = await store.ListAsync(prefix, new ListOptions(revision, fetch, startKey), context.RequestAborted);
            if (page.Status == ReadStatus.Compacted)
                throw new ApiException(ApiStatus.Gone(ExpiredContinue));
            if (page.Status != ReadStatus.Ok)
                throw new ApiException(ApiStatus.BadRequest(page.Error ?? $"cannot list at resourceVersion {revision}: {page.Status}"));
            revision = page.Revision;

            for (var i = 0; i < page.Items.Count; i++)
            {
                var kv = page.Items[i];
                var obj = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision);
                if (!filter.Matches(resource, obj))
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

        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (next is not null)
            metadata["continue"] = next;
        var list = WantsTable(context)
            ? printers.Table(resource, items.Select(i => i!.AsObject()), metadata, query["includeObject"], time.GetUtcNow())
            : new JsonObject
            {
                ["kind"] = resource.ListKind,
                ["apiVersion"] = resource.GroupVersion,
                ["metadata"] = metadata,
                ["items"] = items,
            };
        await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, list);
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
