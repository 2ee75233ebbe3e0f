using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;
using Berth.Core.Quantities;
using Berth.Core.Resources;

namespace Berth.ApiServer.Validation;

/// <summary>
/// Resource requests and limits (of containers, claims, templates: any <c>resources.requests</c> or
/// <c>resources.limits</c>) must be quantities. Upstream finds out while decoding the body, so the answer is its
/// decoding error, a 400, rather than a field cause.
/// </summary>
internal static class QuantityFormat
{
    private static readonly string[] Parts = ["requests", "limits"];

    public static void Check(ResourceInfo resource, JsonObject obj) => Walk(resource, obj, 0);

    private static void Walk(ResourceInfo resource, JsonNode? node, int depth)
    {
        if (depth > 64)
            return;
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (key == "resources" && value is JsonObject resources)
                    {
                        foreach (var part in Parts)
                            CheckAll(resource, resources[part] as JsonObject);
                    }
                    Walk(resource, value, depth + 1);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    Walk(resource, item, depth + 1);
                break;
        }
    }

    private static void CheckAll(ResourceInfo resource, JsonObject? quantities)
    {
        foreach (var (_, value) in quantities ?? [])
        {
            var valid = value?.GetValueKind() switch
            {
                JsonValueKind.Number => true,
                JsonValueKind.String => Quantity.TryParse(value.GetValue<string>(), out _),
                _ => false,
            };
            if (!valid)
            {
                throw new ApiException(ApiStatus.BadRequest(
                    $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: quantities must match the regular expression '{Quantity.Pattern}'"));
            }
        }
    }
}
