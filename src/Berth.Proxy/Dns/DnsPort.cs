namespace Berth.Proxy.Dns;

/// <summary>A named (or unnamed: empty <see cref="Name"/>) port of a Service or an EndpointSlice, as SRV records publish it.</summary>
internal readonly record struct DnsPort(string Name, string Protocol, int Port);
