using Berth.Core.Networking;

namespace Berth.ApiServer.Services;

/// <summary>
/// Where Services' addresses and node ports come from: the service CIDR (its first address is the <c>kubernetes</c>
/// Service's, its tenth the cluster DNS's) and the node port range.
/// </summary>
internal sealed record ServiceNetwork(Ipv4Cidr Cidr, NodePortRange NodePorts)
{
    /// <summary>The smallest network that has a tenth address for the cluster DNS (16 addresses).</summary>
    private const int LongestPrefix = 28;

    /// <summary>Upstream's limit: at most 2^20 service addresses (a mask of at least 12 bits).</summary>
    private const int ShortestPrefix = 12;

    /// <summary>The <c>kubernetes</c> Service's address: the network's first (10.43.0.1).</summary>
    public string KubernetesIp => Cidr.Address(1);

    /// <summary>How pods name the API server: the <c>kubernetes</c> Service's address and DNS names (cluster.local).</summary>
    public IEnumerable<string> KubernetesNames =>
        [KubernetesIp, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];

    /// <summary>The cluster DNS Service's address: the network's tenth (10.43.0.10).</summary>
    public string DnsIp => Cidr.Address(10);

    /// <summary>The network and range of <paramref name="options"/>, which <see cref="ApiServerOptions.Validate"/> has accepted.</summary>
    public static ServiceNetwork From(ApiServerOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0 || !Ipv4Cidr.TryParse(options.ServiceCidr, out var cidr) || !NodePortRange.TryParse(options.ServiceNodePortRange, out var ports, out _))
            throw new ArgumentException(string.Join("; ", problems), nameof(options));
        return new ServiceNetwork(cidr, ports);
    }

    /// <summary>Why <paramref name="cidr"/> cannot be the service network, or null when it can.</summary>
    public static string? Problem(Ipv4Cidr cidr) => cidr.Prefix switch
    {
        < ShortestPrefix => $"too large; the mask must be at least {ShortestPrefix} bits (at most 2^20 addresses)",
        > LongestPrefix => $"too small; the mask must be at most {LongestPrefix} bits, for the cluster DNS's tenth address",
        _ => null,
    };
}
