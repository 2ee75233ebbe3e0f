using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Services;

/// <summary>
/// Who holds an allocated address or node port, as its store key records it: the Service (namespace, name, uid) and
/// when the allocation was made, so that the repair pass leaves young allocations, whose Service may not be stored
/// yet, alone.
/// </summary>
internal sealed record AllocationOwner(string Namespace, string Name, string Uid, DateTimeOffset Allocated)
{
    public string Service => $"{Namespace}/{Name}";

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["namespace"] = Namespace,
        ["name"] = Name,
        ["uid"] = Uid,
        ["allocated"] = WireTime.Time(Allocated),
    }, NodeJsonContext.Default.JsonNode);

    /// <summary>The owner a key's value names, or null when the value is not one.</summary>
    public static AllocationOwner? Parse(ReadOnlySpan<byte> value)
    {
        try
        {
            return JsonNode.Parse(value) is JsonObject o && Text(o["namespace"]) is { } ns && Text(o["name"]) is { } name && Text(o["uid"]) is { } uid
                && DateTimeOffset.TryParse(Text(o["allocated"]), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var allocated)
                ? new AllocationOwner(ns, name, uid, allocated)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
