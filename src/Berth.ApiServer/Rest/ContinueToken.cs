using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Errors;

namespace Berth.ApiServer.Rest;

/// <summary>
/// The opaque <c>continue</c> value of a paged list: the revision the first page was read at and the key the next
/// page starts from, so every page reads the same snapshot.
/// </summary>
internal static class ContinueToken
{
    public static string Encode(long revision, string startKey)
    {
        var json = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = revision, ["start"] = startKey }.ToJsonString();
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
    }

    public static (long Revision, string StartKey) Decode(string token, string prefix)
    {
        try
        {
            var node = JsonNode.Parse(Base64Url.DecodeFromChars(token))!.AsObject();
            var revision = node["rv"]!.GetValue<long>();
            var start = node["start"]!.GetValue<string>();
            if (revision <= 0 || !start.StartsWith(prefix, StringComparison.Ordinal))
                throw new FormatException("the token belongs to another list");
            return (revision, start);
        }
        catch (Exception e) when (e is FormatException or JsonException or NullReferenceException or InvalidOperationException)
        {
            throw new ApiException(ApiStatus.BadRequest($"continue key is not valid: {e.Message}"));
        }
    }
}
