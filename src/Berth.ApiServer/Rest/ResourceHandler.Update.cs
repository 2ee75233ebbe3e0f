using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.ApiServer.Services;
using Berth.ApiServer.Validation;
using Berth.Core.Errors;
using Berth.Core.FieldManagement;
using Berth.Storage;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    /// <summary>Metadata only the server sets: an update keeps the current values whatever the body says.</summary>
    private static readonly string[] ServerOwnedMetadata = ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"];

    private async Task UpdateAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var resource = target.Resource;
        var body = await RequestBody.ReadObjectAsync(context, BodyLimit);
        CheckTypeMeta(body, resource);
        FieldValidation.Apply(context, resource, body);
        var metadata = ObjectJson.Metadata(body);
        var bodyName = ObjectJson.GetString(metadata, "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != target.Name)
            throw new ApiException(ApiStatus.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})"));
        var bodyNamespace = ObjectJson.GetString(metadata, "namespace");
        if (resource.Namespaced && !string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != target.Namespace)
            throw new ApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        var expected = ParseResourceVersion(ObjectJson.GetString(metadata, "resourceVersion"), "metadata.resourceVersion");

        var (current, modRevision) = await GetCurrentAsync(target, context.RequestAborted);
        if (expected != 0 && expected != modRevision)
            throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!));

        var updated = Confine(target, current, body);
        var saved = await SaveAsync(target, current, modRevision, updated, dryRun, UpdaterOf(context, target.Subresource, "UpdateOptions"), context.RequestAborted);
        await WriteSavedAsync(context, StatusCodes.Status200OK, saved);
    }

    /// <summary>
    /// An object as a write left it, and, when it was written, its JSON as stored and its new resourceVersion (null when
    /// nothing was: no change, a dry run, a removal).
    /// </summary>
    private sealed record Saved(JsonObject Object, byte[]? Stored = null, long Revision = 0);

    /// <summary>
    /// Answers with a saved object: the bytes just stored with their resourceVersion spliced in as they are written,
    /// rather than the object serialized again.
    /// </summary>
    private static async Task WriteSavedAsync(HttpContext context, int code, Saved saved)
    {
        if (saved.Stored is not { } stored)
        {
            await ApiResponse.WriteAsync(context, code, saved.Object);
            return;
        }
        context.Response.StatusCode = code;
        context.Response.ContentType = ApiResponse.Json;
        if (!ObjectJson.WriteWithResourceVersion(context.Response.BodyWriter, stored, saved.Revision))
        {
            await ApiResponse.WriteAsync(context, code, saved.Object);
            return;
        }
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Stores <paramref name="updated"/> in place of <paramref name="current"/> (read at <paramref name="modRevision"/>):
    /// the one path every change to an existing object takes. Server-owned metadata is kept, generation counts spec
    /// changes, the <paramref name="updater"/>'s change is recorded in managedFields (an apply has recorded its own),
    /// a no-op writes nothing, and an object being deleted whose last finalizer went is removed.
    /// </summary>
    private async Task<Saved> SaveAsync(RequestTarget target, JsonObject current, long modRevision, JsonObject updated, bool dryRun,
        FieldOwner? updater, CancellationToken cancellationToken)
    {
        var resource = target.Resource;
        var metadata = ObjectJson.Metadata(updated);
        var currentMetadata = ObjectJson.Metadata(current);
        foreach (var field in ServerOwnedMetadata)
        {
            metadata.Remove(field);
            if (currentMetadata[field] is { } value)
                metadata[field] = value.DeepClone();
        }
        metadata["name"] = target.Name;
        if (resource.Namespaced)
            metadata["namespace"] = target.Namespace;
        ObjectDefaults.OnUpdate(resource, updated, current);
        ObjectDefaults.OnWrite(resource, updated);
        if (target.Subresource is null)
        {
            ObjectValidation.Validate(resource, updated, current);
            await _priorityAdmission.ValidateAsync(resource, updated, cancellationToken);
        }
        if (updater is not null)
            FieldsOf(resource).RecordUpdate(current, updated, updater);
        // What a Service's new type or ports need is claimed before the write, what it gave up released after.
        var allocated = target.Subresource is null
            ? await allocations.OnUpdateAsync(resource, updated, current, dryRun, cancellationToken)
            : AllocationChange.None;
        if (resource.TracksGeneration && SpecChanged(current, updated))
            metadata["generation"] = (currentMetadata["generation"]?.GetValue<long>() ?? 1) + 1;
        metadata["resourceVersion"] = modRevision.ToString(CultureInfo.InvariantCulture);

        // Nothing changed: no write, no new resourceVersion, no watch event (apply depends on this).
        if (Unchanged(updated, current) || dryRun)
            return new Saved(updated);

        var key = resource.StorageKey(target.Namespace, target.Name!);
        WriteResult result;
        byte[] stored;
        try
        {
            if (metadata["deletionTimestamp"] is not null && ObjectJson.Finalizers(updated).Count == 0 && !HasNamespaceFinalizers(resource, updated))
            {
                var deleted = await store.DeleteAsync(key, modRevision, cancellationToken);
                if (deleted.Status == WriteStatus.Conflict)
                    throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!));
                await allocated.RevertAsync(CancellationToken.None);
                if (deleted.Succeeded)
                    await allocations.ReleaseAsync(resource, current, CancellationToken.None);
                return new Saved(updated);
            }
            stored = ObjectJson.ToStored(updated);
            result = await store.UpdateAsync(key, stored, modRevision, await LeaseForAsync(resource, cancellationToken), cancellationToken);
        }
        catch
        {
            await allocated.RevertAsync(CancellationToken.None);
            throw;
        }
        if (result.Succeeded)
            await allocated.CommitAsync(CancellationToken.None);
        else
            await allocated.RevertAsync(CancellationToken.None);
        switch (result.Status)
        {
            case WriteStatus.Ok:
                metadata["resourceVersion"] = result.Revision.ToString(CultureInfo.InvariantCulture);
                return new Saved(updated, stored, result.Revision);
            case WriteStatus.Conflict:
                throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!));
            case WriteStatus.NotFound:
                throw new ApiException(ApiStatus.NotFound(resource, target.Name!));
            default:
                throw new ApiException(StoreFailure(result));
        }
    }

    /// <summary>
    /// Whether <paramref name="updated"/> changes nothing of <paramref name="current"/>. A write whose only change is
    /// the time its manager's entry was stamped with changed nothing either, as upstream decides: the current
    /// managedFields are put back. The rest of the objects is compared first, and once: it differs in most writes.
    /// </summary>
    private static bool Unchanged(JsonObject updated, JsonObject current)
    {
        var (metadata, currentMetadata) = (ObjectJson.Metadata(updated), ObjectJson.Metadata(current));
        if (!EqualApartFrom(updated, current, "metadata") || !EqualApartFrom(metadata, currentMetadata, "managedFields"))
            return false;
        var (now, before) = (metadata["managedFields"], currentMetadata["managedFields"]);
        if (JsonNode.DeepEquals(now, before))
            return true;
        if (now is not JsonArray nowEntries || before is not JsonArray beforeEntries || !DifferInTimesAlone(nowEntries, beforeEntries))
            return false;
        metadata["managedFields"] = before.DeepClone();
        return true;
    }

    /// <summary>Whether two objects have the same members with equal values, <paramref name="except"/> aside.</summary>
    private static bool EqualApartFrom(JsonObject a, JsonObject b, string except)
    {
        if (a.Count - (a.ContainsKey(except) ? 1 : 0) != b.Count - (b.ContainsKey(except) ? 1 : 0))
            return false;
        foreach (var (key, value) in a)
        {
            if (key != except && (!b.TryGetPropertyValue(key, out var other) || !JsonNode.DeepEquals(value, other)))
                return false;
        }
        return true;
    }

    /// <summary>Whether two managedFields lists are the same entries apart from their times.</summary>
    private static bool DifferInTimesAlone(JsonArray now, JsonArray before)
    {
        if (now.Count != before.Count)
            return false;
        for (var i = 0; i < now.Count; i++)
        {
            if (now[i] is not JsonObject entry || before[i] is not JsonObject old || !EqualApartFrom(entry, old, "time"))
                return false;
        }
        return true;
    }

    /// <summary>
    /// What a write through <paramref name="target"/> may change of <paramref name="current"/>: the status subresource
    /// only the status; a CSR's approval subresource only its conditions (the certificate is the signer's, written
    /// through status); a namespace's finalize subresource only spec.finalizers; the main resource neither of those,
    /// where a subresource owns them, and never a CSR's spec, which is fixed when it is created.
    /// </summary>
    private static JsonObject Confine(RequestTarget target, JsonObject current, JsonObject desired)
    {
        switch (target.Subresource)
        {
            case "status":
                return WithPart(current, desired, "status");
            case "approval":
                var approved = current.DeepClone().AsObject();
                var status = approved["status"] as JsonObject ?? (JsonObject)(approved["status"] = new JsonObject());
                Keep(status, desired["status"] as JsonObject ?? [], "conditions");
                return approved;
            case "finalize":
                var updated = current.DeepClone().AsObject();
                var spec = updated["spec"] as JsonObject ?? (JsonObject)(updated["spec"] = new JsonObject());
                spec["finalizers"] = desired["spec"]?["finalizers"]?.DeepClone();
                return updated;
        }
        if (target.Resource.HasStatus)
            Keep(desired, current, "status");
        if (Defaulting.CertificateSigningRequestDefaults.Applies(target.Resource))
            Keep(desired, current, "spec");
        if (target.Resource is { Group: "", Plural: "namespaces" })
        {
            var spec = desired["spec"] as JsonObject ?? (JsonObject)(desired["spec"] = new JsonObject());
            spec["finalizers"] = current["spec"]?["finalizers"]?.DeepClone();
        }
        return desired;
    }

    /// <summary><paramref name="current"/> with <paramref name="part"/> taken from <paramref name="desired"/>.</summary>
    private static JsonObject WithPart(JsonObject current, JsonObject desired, string part)
    {
        var updated = current.DeepClone().AsObject();
        Keep(updated, desired, part);
        return updated;
    }

    /// <summary>Sets <paramref name="target"/>'s <paramref name="part"/> to <paramref name="source"/>'s (or removes it).</summary>
    private static void Keep(JsonObject target, JsonObject source, string part)
    {
        target.Remove(part);
        if (source[part] is { } value)
            target[part] = value.DeepClone();
    }

    /// <summary>Whether the desired state changed: the spec, or for kinds without one, anything outside metadata and status.</summary>
    private static bool SpecChanged(JsonObject current, JsonObject updated)
    {
        if (current["spec"] is not null || updated["spec"] is not null)
            return !JsonNode.DeepEquals(current["spec"], updated["spec"]);
        return updated.Any(p => p.Key is not ("metadata" or "status" or "apiVersion" or "kind") && !JsonNode.DeepEquals(p.Value, current[p.Key]))
            || current.Any(p => p.Key is not ("metadata" or "status" or "apiVersion" or "kind") && !updated.ContainsKey(p.Key));
    }

    /// <summary>A namespace waits for its spec finalizers (the namespace controller's), not only metadata ones.</summary>
    private static bool HasNamespaceFinalizers(Core.Resources.ResourceInfo resource, JsonObject obj) =>
        resource is { Group: "", Plural: "namespaces" } && obj["spec"]?["finalizers"] is JsonArray { Count: > 0 };
}
