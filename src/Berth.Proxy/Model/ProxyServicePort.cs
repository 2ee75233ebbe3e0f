namespace Berth.Proxy.Model;

/// <summary>One port of a Service; <see cref="NodePort"/> is 0 when it has none.</summary>
internal sealed record ProxyServicePort(string Name, string Protocol, int Port, int NodePort);
