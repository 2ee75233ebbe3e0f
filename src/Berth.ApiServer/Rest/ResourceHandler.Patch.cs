using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Validation;
using Berth.Core.Errors;
using Berth.Core.Patching;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private const string JsonPatchType = "application/json-patch+json";
    private const string MergePatchType = "application/merge-patch+json";
    private const string StrategicMergePatchType = "application/strategic-merge-patch+json";
    private static readonly string[] PatchTypes = [JsonPatchType, MergePatchType, ApplyPatchType, StrategicMergePatchType];
    private static readonly string[] CustomResourcePatchTypes = [JsonPatchType, MergePatchType, ApplyPatchType];

    /// <summary>How often a patch that names no resourceVersion is applied again after losing a race with another write.</summary>
    private const int PatchAttempts = 5;

    private async Task PatchAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var resource = target.Resource;
        if (PatchMediaType(context).Equals(ApplyPatchType, StringComparison.OrdinalIgnoreCase))
        {
            await ApplyAsync(context, target, await RequestBody.ReadBytesAsync(context, BodyLimit), dryRun);
            return;
        }
        if (context.Request.Query.ContainsKey("force"))
            throw new ApiException(InvalidPatchOptions(new StatusCause("FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force")));
        var updater = UpdaterOf(context, target.Subresource, "PatchOptions");
        var (mediaType, patch) = await ReadPatchAsync(context, target);
        for (var attempt = 1; ; attempt++)
        {
            var (current, modRevision) = await GetCurrentAsync(target, context.RequestAborted);
            var result = ApplyPatch(target, current, mediaType, patch);
            CheckTypeMeta(result, resource);
            if (target.Subresource is null or "status")
                FieldValidation.Apply(context, resource, result);
            var patchedName = ObjectJson.GetString(ObjectJson.Metadata(result), "name");
            if (patchedName != target.Name)
            {
                throw new ApiException(ApiStatus.Invalid(resource, target.Name!,
                    [new StatusCause("FieldValueInvalid", $"Invalid value: \"{patchedName}\": field is immutable", "metadata.name")]));
            }

            // A patch that names a resourceVersion applies only to that version.
            var patchedVersion = ObjectJson.GetString(ObjectJson.Metadata(result), "resourceVersion");
            var conditional = !string.IsNullOrEmpty(patchedVersion);
            if (conditional && ParseResourceVersion(patchedVersion, "metadata.resourceVersion") != modRevision)
                throw new ApiException(ApiStatus.StaleResourceVersion(resource, target.Name!));

            try
            {
                var saved = await SaveAsync(target, current, modRevision, Confine(target, current, result), dryRun, updater, context.RequestAborted);
                await WriteSavedAsync(context, StatusCodes.Status200OK, saved);
                return;
            }
            catch (ApiException e) when (e.Status.Code == StatusCodes.Status409Conflict && !conditional && attempt < PatchAttempts)
            {
                // Someone else wrote in between: an unconditional patch applies to the newer version instead.
            }
        }
    }

    /// <summary>Reads a JSON, merge or strategic merge patch: 415 for another patch type, 400 for malformed JSON.</summary>
    private async Task<(string MediaType, JsonNode? Patch)> ReadPatchAsync(HttpContext context, RequestTarget target)
    {
        var mediaType = PatchMediaType(context);
        // Custom resources have no strategic merge metadata: upstream does not offer that patch for them.
        var accepted = target.Resource.Custom is null ? PatchTypes : CustomResourcePatchTypes;
        if (!accepted.Contains(mediaType, StringComparer.OrdinalIgnoreCase) || mediaType.Equals(ApplyPatchType, StringComparison.OrdinalIgnoreCase))
            throw new ApiException(ApiStatus.UnsupportedMediaType(mediaType, accepted));
        var bytes = await RequestBody.ReadBytesAsync(context, BodyLimit);
        try
        {
            return (mediaType, JsonNode.Parse(bytes));
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiStatus.BadRequest($"the patch is not valid JSON: {e.Message}"));
        }
    }

    private static string PatchMediaType(HttpContext context) => (context.Request.ContentType ?? "").Split(';')[0].Trim();

    /// <summary>Applies a patch to a copy of <paramref name="document"/>; a patch that cannot apply is a 422.</summary>
    private static JsonObject ApplyPatch(RequestTarget target, JsonObject document, string mediaType, JsonNode? patch)
    {
        JsonNode? patched;
        try
        {
            patched = mediaType.ToLowerInvariant() switch
            {
                JsonPatchType => JsonPatch.Apply(document, patch as JsonArray ?? throw new PatchException("a JSON patch must be an array of operations")),
                StrategicMergePatchType => StrategicMergePatch.Apply(document, patch as JsonObject ?? throw new PatchException("a strategic merge patch must be a JSON object"),
                    target.Subresource == "scale" ? "Scale" : target.Resource.Kind),
                _ => MergePatch.Apply(document, patch as JsonObject ?? throw new PatchException("a merge patch must be a JSON object")),
            };
        }
        catch (PatchException e)
        {
            throw new ApiException(ApiStatus.Invalid(target.Resource, target.Name!, [new StatusCause("FieldValueInvalid", e.Message, "patch")]));
        }
        return patched as JsonObject ?? throw new ApiException(ApiStatus.BadRequest("the patched object is not a JSON object"));
    }
}
