using System.Net;

namespace Berth.Proxy.Dns;

/// <summary>One endpoint of an EndpointSlice: its addresses, the hostname it publishes (a StatefulSet pod's), and whether it is ready.</summary>
internal sealed record DnsEndpoint(IReadOnlyList<IPAddress> Addresses, string? Hostname, bool Ready);
