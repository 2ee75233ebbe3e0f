using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

/// <summary>Reads a request body as a JSON object, refusing what is too large, of an unknown type, or malformed.</summary>
internal static class RequestBody
{
    private static readonly string[] JsonTypes = ["application/json"];

    public static async Task<JsonObject> ReadObjectAsync(HttpContext context, long limit, IReadOnlyList<string>? acceptedTypes = null)
    {
        var accepted = acceptedTypes ?? JsonTypes;
        var mediaType = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (!accepted.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
            throw new ApiException(ApiStatus.UnsupportedMediaType(mediaType, accepted));

        var bytes = await ReadBytesAsync(context, limit);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 100 });
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiStatus.BadRequest($"the request body is not valid JSON: {e.Message}"));
        }
        return node as JsonObject ?? throw new ApiException(ApiStatus.BadRequest("the request body must be a JSON object"));
    }

    public static async Task<byte[]> ReadBytesAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength > limit)
            throw new ApiException(ApiStatus.TooLarge(limit));
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            if (result.Buffer.Length > limit)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw new ApiException(ApiStatus.TooLarge(limit));
            }
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>An optional body (DeleteOptions): null when the request has none.</summary>
    public static async Task<JsonObject?> ReadOptionalObjectAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count == 0))
            return null;
        return await ReadObjectAsync(context, limit);
    }

}
