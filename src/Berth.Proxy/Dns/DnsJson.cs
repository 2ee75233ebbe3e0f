using System.Text.Json;

namespace Berth.Proxy.Dns;

/// <summary>Reading the few fields cluster DNS needs from Services and EndpointSlices, tolerating absent or null ones.</summary>
internal static class DnsJson
{
    public static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static IEnumerable<string> Strings(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            yield break;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
                yield return item.GetString()!;
        }
    }

    /// <summary>The <c>ports</c> list of a Service spec or an EndpointSlice; ports without a number are left out.</summary>
    public static List<DnsPort> Ports(JsonElement obj)
    {
        List<DnsPort> ports = [];
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty("ports", out var array) || array.ValueKind != JsonValueKind.Array)
            return ports;
        foreach (var port in array.EnumerateArray())
        {
            if (port.ValueKind == JsonValueKind.Object && port.TryGetProperty("port", out var number) && number.ValueKind == JsonValueKind.Number && number.TryGetInt32(out var n) && n is > 0 and <= ushort.MaxValue)
                ports.Add(new DnsPort(Text(port, "name") ?? "", Text(port, "protocol") ?? "TCP", n));
        }
        return ports;
    }
}
