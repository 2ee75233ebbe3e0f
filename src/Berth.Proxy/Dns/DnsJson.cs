using System.Text.Json;
using Berth.Core.Serialization;

namespace Berth.Proxy.Dns;

/// <summary>The ports of a Service spec or an EndpointSlice as cluster DNS needs them.</summary>
internal static class DnsJson
{
    /// <summary>The <c>ports</c> list of a Service spec or an EndpointSlice; ports without a number are left out.</summary>
    public static List<DnsPort> Ports(JsonElement obj) =>
    [
        .. JsonFields.Objects(obj, "ports")
            .Where(p => JsonFields.Int(p, "port") is > 0 and <= ushort.MaxValue)
            .Select(p => new DnsPort(JsonFields.String(p, "name") ?? "", JsonFields.String(p, "protocol") ?? "TCP", JsonFields.Int(p, "port")!.Value)),
    ];
}
