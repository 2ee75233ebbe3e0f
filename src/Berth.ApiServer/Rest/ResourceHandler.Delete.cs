using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Bootstrap;
using Berth.ApiServer.Http;
using Berth.Core.Errors;
using Berth.Storage;
using Microsoft.AspNetCore.Http;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private const long DefaultPodGraceSeconds = 30;

    private async Task DeleteAsync(HttpContext context, RequestTarget target)
    {
        var options = DeleteOptions.From(await RequestBody.ReadOptionalObjectAsync(context, BodyLimit), context.Request.Query);
        if (SystemPriorityClasses.Protects(target.Resource, target.Name!))
            throw new ApiException(ApiStatus.Forbidden(target.Resource, target.Name!, "this is a system priority class and cannot be deleted"));
        for (var attempt = 1; ; attempt++)
        {
            var (current, modRevision) = await GetCurrentAsync(target, context.RequestAborted);
            CheckPreconditions(target, current, modRevision, options);
            try
            {
                await DeleteObjectAsync(context, target, current, modRevision, options);
                return;
            }
            catch (ApiException e) when (e.Status.Code == StatusCodes.Status409Conflict && attempt < PatchAttempts)
            {
                // Written in between (a controller's status, say): delete what is there now, its preconditions checked again.
            }
        }
    }

    private async Task DeleteCollectionAsync(HttpContext context, RequestTarget target)
    {
        var options = DeleteOptions.From(await RequestBody.ReadOptionalObjectAsync(context, BodyLimit), context.Request.Query);
        var filter = ListFilter.FromQuery(target.Resource, context.Request.Query);
        // What to delete is read consistently like a list; each delete is guarded by the version it saw.
        var (objects, revision) = await CurrentObjectsAsync(target.Resource, target.Resource.StoragePrefixFor(target.Namespace), context.RequestAborted);
        var deleted = new JsonArray();
        foreach (var cached in objects.Where(filter.Matches))
        {
            var obj = cached.Parse();
            var itemTarget = target with { Name = ObjectJson.Name(obj), Namespace = ObjectJson.Namespace(obj) };
            deleted.Add((JsonNode)await MarkOrRemoveAsync(itemTarget, obj, cached.Revision, options, context.RequestAborted));
        }
        await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["kind"] = target.Resource.ListKind,
            ["apiVersion"] = target.Resource.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    private async Task DeleteObjectAsync(HttpContext context, RequestTarget target, JsonObject current, long modRevision, DeleteOptions options)
    {
        var result = await MarkOrRemoveAsync(target, current, modRevision, options, context.RequestAborted);
        await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, result);
    }

    /// <summary>
    /// Deletes one object the Kubernetes way: an object with finalizers (or a pod still running on a node) is only
    /// marked with a deletionTimestamp, and goes when its finalizers are gone; anything else goes at once.
    /// Returns the object as it now is (or as it was, when it is gone).
    /// </summary>
    private async Task<JsonObject> MarkOrRemoveAsync(RequestTarget target, JsonObject current, long modRevision, DeleteOptions options, CancellationToken cancellationToken)
    {
        var resource = target.Resource;
        var marked = current.DeepClone().AsObject();
        var metadata = ObjectJson.Metadata(marked);
        var alreadyDeleting = metadata["deletionTimestamp"] is not null;

        var finalizers = ObjectJson.Finalizers(marked).ToList();
        if (!alreadyDeleting)
        {
            // Upstream records the propagation policy as a finalizer that the garbage collector honours.
            var policyFinalizer = options.PropagationPolicy switch
            {
                "Orphan" => "orphan",
                "Foreground" => "foregroundDeletion",
                _ => null,
            };
            if (policyFinalizer is not null && !finalizers.Contains(policyFinalizer))
                finalizers.Add(policyFinalizer);
            ObjectJson.SetFinalizers(marked, finalizers);
        }

        var grace = GracePeriod(resource, marked, options);
        var mustWait = finalizers.Count > 0 || grace > 0 || HasNamespaceFinalizers(resource, marked);
        if (mustWait)
        {
            // A second delete only ever shortens the grace period, as upstream; otherwise it changes nothing.
            var currentGrace = metadata["deletionGracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var seconds) ? seconds : (long?)null;
            if (!alreadyDeleting || grace < currentGrace)
            {
                metadata["deletionTimestamp"] = WireTime.Time(time.GetUtcNow().AddSeconds(grace));
                metadata["deletionGracePeriodSeconds"] = grace;
            }
            if (resource is { Group: "", Plural: "namespaces" })
                marked["status"] = new JsonObject { ["phase"] = "Terminating" };
            if (options.DryRun || JsonNode.DeepEquals(marked, current))
                return marked;

            var key = resource.StorageKey(target.Namespace, target.Name!);
            var updated = await store.UpdateAsync(key, ObjectJson.ToStored(marked), modRevision, await LeaseForAsync(resource, cancellationToken), cancellationToken);
            if (updated.Status == WriteStatus.Conflict)
                throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!));
            if (!updated.Succeeded)
                throw new ApiException(updated.Status == WriteStatus.NotFound ? ApiStatus.NotFound(resource, target.Name!) : StoreFailure(updated));
            metadata["resourceVersion"] = updated.Revision.ToString(CultureInfo.InvariantCulture);
            return marked;
        }

        if (options.DryRun)
            return current;
        var removed = await store.DeleteAsync(resource.StorageKey(target.Namespace, target.Name!), modRevision, cancellationToken);
        // A Service gone for good gives back its addresses and ports (the repair pass does if this server stops first).
        if (removed.Succeeded)
            await allocations.ReleaseAsync(resource, current, CancellationToken.None);
        return removed.Status switch
        {
            WriteStatus.Ok => current,
            WriteStatus.Conflict => throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!)),
            WriteStatus.NotFound => throw new ApiException(ApiStatus.NotFound(resource, target.Name!)),
            _ => throw new ApiException(StoreFailure(removed)),
        };
    }

    /// <summary>
    /// How long the object may take to go: a pod already bound to a node gets its grace period, so that the
    /// node's agent can stop its containers and then finish the deletion; everything else goes at once.
    /// </summary>
    private static long GracePeriod(Core.Resources.ResourceInfo resource, JsonObject obj, DeleteOptions options)
    {
        if (resource is not { Group: "", Plural: "pods" } || obj["spec"]?["nodeName"] is not JsonValue)
            return 0;
        if (options.GracePeriodSeconds is { } requested)
            return Math.Max(0, requested);
        return obj["spec"]?["terminationGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var spec) ? spec : DefaultPodGraceSeconds;
    }

    private static void CheckPreconditions(RequestTarget target, JsonObject current, long modRevision, DeleteOptions options)
    {
        var uid = ObjectJson.GetString(ObjectJson.Metadata(current), "uid");
        if (options.PreconditionUid is { } wantedUid && wantedUid != uid)
        {
            throw new ApiException(ApiStatus.Conflict(target.Resource, target.Name!,
                $"Precondition failed: UID in precondition: {wantedUid}, UID in object meta: {uid}"));
        }
        var rv = modRevision.ToString(CultureInfo.InvariantCulture);
        if (options.PreconditionResourceVersion is { } wantedRv && wantedRv != rv)
        {
            throw new ApiException(ApiStatus.Conflict(target.Resource, target.Name!,
                $"Precondition failed: ResourceVersion in precondition: {wantedRv}, ResourceVersion in object meta: {rv}"));
        }
    }
}
