namespace Berth.Proxy.Rules;

/// <summary>UDP traffic to a cluster IP (or, with none, to a NodePort) that is sent to <see cref="Endpoint"/>.</summary>
internal readonly record struct UdpFlow(string? ServiceIp, int NodePort, string Endpoint);
