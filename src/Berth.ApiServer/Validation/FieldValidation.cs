using System.Text.Json.Nodes;
using Berth.ApiServer.OpenApi;
using Berth.ApiServer.Rest;
using Berth.Core.CustomResources;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Validation;

/// <summary>
/// The <c>fieldValidation</c> parameter of writes: unknown fields are always dropped from built-in kinds; Strict
/// refuses the request (400, upstream's "strict decoding error"), Warn (the default) answers with a Warning header
/// per field, which kubectl prints, and Ignore says nothing.
/// </summary>
internal static class FieldValidation
{
    public static void Apply(HttpContext context, ResourceInfo resource, JsonObject obj)
    {
        var mode = context.Request.Query["fieldValidation"] is [{ Length: > 0 } value] ? value : "Warn";
        if (mode is not ("Strict" or "Warn" or "Ignore"))
            throw new ApiException(ApiStatus.BadRequest($"fieldValidation parameter unsupported: {mode}"));
        if (UnknownFields(resource, obj) is not { Count: > 0 } unknown || mode == "Ignore")
            return;
        if (mode == "Strict")
        {
            throw new ApiException(ApiStatus.BadRequest(
                $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: strict decoding error: " +
                string.Join(", ", unknown.Select(f => $"unknown field \"{f}\""))));
        }
        // Set, not appended: a patch applied again after losing a race must not warn twice.
        context.Response.Headers["Warning"] = unknown.Select(f => $"299 - \"unknown field \\\"{f}\\\"\"").ToArray();
    }

    /// <summary>
    /// Drops the fields of <paramref name="obj"/> that its kind does not declare (a built-in's model, a custom
    /// resource's schema) and names them; null when the kind declares nothing to check against.
    /// </summary>
    public static List<string>? UnknownFields(ResourceInfo resource, JsonObject obj) =>
        resource.Custom?.Schema is { } schema ? CustomResourceSchema.Prune(obj, schema)
        : ModelTypes.For(resource) is { } model ? KnownFields.Prune(obj, model)
        : null;
}
