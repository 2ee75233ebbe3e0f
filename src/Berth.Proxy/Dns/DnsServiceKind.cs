namespace Berth.Proxy.Dns;

/// <summary>What a Service's name resolves to: its cluster IPs, its ready endpoints (headless), or another name.</summary>
internal enum DnsServiceKind
{
    ClusterIp,
    Headless,
    ExternalName,
}
