using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Http;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Http;

/// <summary>Writes JSON answers: objects, lists and Status errors, always with the HTTP code the body states.</summary>
internal static class ApiResponse
{
    public const string Json = "application/json";

    public static async Task WriteAsync(HttpContext context, int code, JsonNode body, string contentType = Json)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = contentType;
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, WireJson.Writer);
        body.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static Task WriteStatusAsync(HttpContext context, ApiStatus status)
    {
        if (status.RetryAfterSeconds is { } seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(context, status.Code, status.ToJson());
    }
}
