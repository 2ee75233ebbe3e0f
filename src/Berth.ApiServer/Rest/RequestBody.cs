using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Protobuf;
using Berth.Core.Errors;
using Berth.Core.Serialization;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

/// <summary>Reads a request body as a JSON object, refusing what is too large, of an unknown type, or malformed.</summary>
internal static class RequestBody
{
    private const string YamlType = "application/yaml";
    private static readonly string[] ObjectTypes = ["application/json", YamlType, ProtobufEnvelope.MediaType];
    private static readonly ProtobufDecoder Protobuf = new(WireSchema.Kubernetes);

    /// <summary>Reads an object sent as JSON, or as protobuf (kubectl's <c>create &lt;kind&gt;</c> commands send that).</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpContext context, long limit)
    {
        var mediaType = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (!ObjectTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
            throw new ApiException(ApiStatus.UnsupportedMediaType(mediaType, ObjectTypes));

        var bytes = await ReadBytesAsync(context, limit);
        if (mediaType.Equals(ProtobufEnvelope.MediaType, StringComparison.OrdinalIgnoreCase))
            return DecodeProtobuf(bytes);
        if (mediaType.Equals(YamlType, StringComparison.OrdinalIgnoreCase))
            return DecodeYaml(bytes);
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

    private static JsonObject DecodeYaml(byte[] bytes)
    {
        try
        {
            return YamlToJson.Convert(System.Text.Encoding.UTF8.GetString(bytes)) as JsonObject
                ?? throw new ApiException(ApiStatus.BadRequest("the request body must be a YAML mapping"));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ApiException(ApiStatus.BadRequest($"the request body is not valid YAML: line {e.Start.Line}, column {e.Start.Column}: {e.Message}"));
        }
    }

    private static JsonObject DecodeProtobuf(byte[] bytes)
    {
        try
        {
            return ProtobufEnvelope.Decode(bytes, Protobuf);
        }
        catch (UnsupportedWireMessageException e)
        {
            throw new ApiException(ApiStatus.UnsupportedMediaType(ProtobufEnvelope.MediaType, ["application/json"]) with { Message = e.Message });
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or OverflowException)
        {
            throw new ApiException(ApiStatus.BadRequest($"the protobuf body cannot be decoded: {e.Message}"));
        }
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
