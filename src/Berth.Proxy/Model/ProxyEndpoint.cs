namespace Berth.Proxy.Model;

/// <summary>One endpoint of an EndpointSlice: a pod's address, its node and its conditions.</summary>
internal sealed record ProxyEndpoint(string Address, string? NodeName, bool Ready, bool Serving, bool Terminating);
