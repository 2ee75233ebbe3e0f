namespace Berth.Proxy.Model;

/// <summary>A port an EndpointSlice's endpoints serve, named as the Service's port it belongs to.</summary>
internal sealed record ProxySlicePort(string Name, string Protocol, int Port);
