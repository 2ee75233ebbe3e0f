using System.Text.Json.Nodes;
using Berth.ApiServer.OpenApi;
using Berth.ApiServer.Rest;
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
        if (ModelTypes.For(resource) is not { } model)
            return;
        var unknown = KnownFields.Prune(obj, model);
        if (unknown.Count == 0 || mode == "Ignore")
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
}
