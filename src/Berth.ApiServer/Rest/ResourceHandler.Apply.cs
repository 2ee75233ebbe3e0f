using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Validation;
using Berth.Core.Errors;
using Berth.Core.FieldManagement;
using Berth.Core.Patching;
using Berth.Core.Resources;
using Berth.Core.Serialization;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

/// <summary>
/// Server-side apply (<c>application/apply-patch+yaml</c>) and the field ownership every write records in
/// <c>metadata.managedFields</c>.
/// </summary>
internal sealed partial class ResourceHandler
{
    private const string ApplyPatchType = "application/apply-patch+yaml";

    /// <summary>Upstream's limit on a field manager's name.</summary>
    private const int MaxFieldManagerLength = 128;

    private static readonly ConditionalWeakTable<CustomResourceVersion, StrongBox<PatchType>> CustomMergeSchemas = [];

    private async Task ApplyAsync(HttpContext context, RequestTarget target, byte[] body, bool dryRun)
    {
        var resource = target.Resource;
        var manager = context.Request.Query["fieldManager"] is [{ Length: > 0 } named] ? named : null;
        if (manager is null)
            throw new ApiException(InvalidPatchOptions(new StatusCause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")));
        CheckFieldManager(manager, "PatchOptions");
        var force = context.Request.Query["force"] is ["true"];
        var applied = ReadAppliedConfiguration(body);
        CheckTypeMeta(applied, resource);
        CheckAppliedConfiguration(target, applied);
        var owner = new FieldOwner(manager, ManagedFieldsEntry.Apply, target.Subresource);
        var fields = FieldsOf(resource);

        for (var attempt = 1; ; attempt++)
        {
            var existing = await store.GetAsync(resource.StorageKey(target.Namespace, target.Name!), 0, context.RequestAborted);
            if (existing.Kv is not { } kv)
            {
                if (target.Subresource is not null)
                    throw new ApiException(ApiStatus.NotFound(resource, target.Name!));
                var created = fields.Apply(null, applied, owner, force);
                try
                {
                    await CreateObjectAsync(context, target, created, dryRun, updater: null);
                    return;
                }
                catch (ApiException e) when (e.Status.Reason == "AlreadyExists" && attempt < PatchAttempts)
                {
                    continue;
                }
            }

            var current = Stored(resource, kv);
            JsonObject merged;
            try
            {
                merged = fields.Apply(current, applied, owner, force);
            }
            catch (ApplyConflictException e)
            {
                throw new ApiException(e.Status);
            }
            // An applied configuration that names a resourceVersion applies only to that version.
            var requestedVersion = ObjectJson.GetString(ObjectJson.Metadata(merged), "resourceVersion");
            if (requestedVersion != ObjectJson.GetString(ObjectJson.Metadata(current), "resourceVersion"))
                throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!));

            // Confine may keep the current object's metadata (a status apply): the managed fields are the apply's.
            var managed = ObjectJson.Metadata(merged)["managedFields"]?.DeepClone();
            var confined = Confine(target, current, merged);
            ObjectJson.Metadata(confined).Remove("managedFields");
            if (managed is not null)
                ObjectJson.Metadata(confined)["managedFields"] = managed;
            try
            {
                var saved = await SaveAsync(target, current, kv.ModRevision, confined, dryRun, updater: null, context.RequestAborted);
                await WriteSavedAsync(context, StatusCodes.Status200OK, saved);
                return;
            }
            catch (ApiException e) when (e.Status.Code == StatusCodes.Status409Conflict && attempt < PatchAttempts)
            {
                // Another write came between the read and this one: apply again to the newer object.
            }
        }
    }

    /// <summary>An applied configuration is YAML, of which JSON (what kubectl sends) is the common case.</summary>
    private static JsonObject ReadAppliedConfiguration(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 100 }) as JsonObject
                ?? throw new ApiException(ApiStatus.BadRequest("the applied configuration must be an object"));
        }
        catch (JsonException)
        {
            // Not JSON: read it as YAML below.
        }
        try
        {
            return YamlToJson.Convert(System.Text.Encoding.UTF8.GetString(body)) as JsonObject
                ?? throw new ApiException(ApiStatus.BadRequest("the applied configuration must be a YAML mapping"));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ApiException(ApiStatus.BadRequest($"error decoding YAML: line {e.Start.Line}, column {e.Start.Column}: {e.Message}"));
        }
    }

    /// <summary>
    /// What upstream refuses in an applied configuration: fields the schema does not declare (its typed conversion
    /// fails whatever fieldValidation says), managedFields, and another object's name or namespace.
    /// </summary>
    private static void CheckAppliedConfiguration(RequestTarget target, JsonObject applied)
    {
        var resource = target.Resource;
        var metadata = ObjectJson.Metadata(applied);
        if (FieldValidation.UnknownFields(resource, applied.DeepClone().AsObject()) is { Count: > 0 } unknown)
        {
            var where = resource.Namespaced ? $"{target.Namespace}/{target.Name}" : target.Name;
            throw new ApiException(ApiStatus.BadRequest(
                $"failed to create typed patch object ({where}; {resource.GroupVersion}, Kind={resource.Kind}): " +
                string.Join(", ", unknown.Select(f => $".{f}: field not declared in schema"))));
        }
        if (metadata["managedFields"] is not null)
            throw new ApiException(ApiStatus.BadRequest("metadata.managedFields must be nil"));
        if (ObjectJson.GetString(metadata, "name") is { } name && name != target.Name)
            throw new ApiException(ApiStatus.BadRequest($"the name of the object ({name}) does not match the name on the URL ({target.Name})"));
        if (resource.Namespaced && ObjectJson.GetString(metadata, "namespace") is { Length: > 0 } ns && ns != target.Namespace)
            throw new ApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        metadata["name"] = target.Name;
    }

    /// <summary>
    /// Who a write is by: the <c>fieldManager</c> parameter, or else the User-Agent up to its first '/', as upstream
    /// names managers of writes that give none (<c>kubectl scale</c>, for one).
    /// </summary>
    private static FieldOwner UpdaterOf(HttpContext context, string? subresource, string options)
    {
        var manager = context.Request.Query["fieldManager"] is [{ Length: > 0 } named] ? named : null;
        if (manager is not null)
        {
            CheckFieldManager(manager, options);
        }
        else
        {
            manager = context.Request.Headers.UserAgent.ToString().Split('/')[0];
            if (manager.Length > MaxFieldManagerLength)
                manager = manager[..MaxFieldManagerLength];
        }
        return new FieldOwner(manager, ManagedFieldsEntry.Update, subresource);
    }

    private static void CheckFieldManager(string manager, string options)
    {
        if (manager.Length > MaxFieldManagerLength)
        {
            throw new ApiException(InvalidOptions(options, new StatusCause("FieldValueInvalid",
                $"Invalid value: \"{manager}\": must be less than {MaxFieldManagerLength} characters", "fieldManager")));
        }
        if (manager.Any(char.IsControl))
        {
            throw new ApiException(InvalidOptions(options, new StatusCause("FieldValueInvalid",
                $"Invalid value: \"{manager}\": must only contain printable characters", "fieldManager")));
        }
    }

    private static ApiStatus InvalidPatchOptions(StatusCause cause) => InvalidOptions("PatchOptions", cause);

    /// <summary>A request option is invalid: upstream words it as an invalid <c>PatchOptions.meta.k8s.io ""</c> (or create/update options).</summary>
    private static ApiStatus InvalidOptions(string options, StatusCause cause) =>
        new(422, "Invalid", $"{options}.meta.k8s.io \"\" is invalid: {cause.Field}: {cause.Message}", "", "meta.k8s.io", options, [cause]);

    /// <summary>The field manager of a resource's objects.</summary>
    private FieldManager FieldsOf(ResourceInfo resource) => new(MergeSchema(resource), resource.GroupVersion, Now(), resource.HasStatus);

    /// <summary>How a resource's lists and maps merge: the built-in metadata, or a custom resource's schema (read once per version).</summary>
    private static PatchType MergeSchema(ResourceInfo resource) =>
        resource.Custom is { Schema: { } schema } custom
            ? CustomMergeSchemas.GetValue(custom, c => new StrongBox<PatchType>(OpenApiPatchSchema.For(resource.Kind, schema))).Value
            : PatchSchema.BuiltIn.ForKind(resource.Kind);
}
