using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Core.Networking;

namespace Berth.Agent.Network;

/// <summary>
/// How the node's pods are networked: the bridge they hang off, the cluster's pod and service CIDRs (both
/// blackholed on the host so that nothing for them leaves the machine), kept in <c>&lt;agent&gt;/network.json</c> so
/// that <c>berth cleanup</c> knows what to take down.
/// </summary>
public sealed record PodNetworkSettings(string Bridge, string ClusterCidr, string ServiceCidr)
{
    public const string DefaultBridge = "berth0";
    public const string DefaultServiceCidr = "10.43.0.0/16";
    public const string DefaultClusterDns = "10.43.0.10";
    public const string DefaultClusterDomain = "cluster.local";

    /// <summary>The address (or comma-separated addresses) of the cluster DNS that ClusterFirst pods' resolv.conf names (kubelet's <c>--cluster-dns</c>).</summary>
    public string ClusterDns { get; init; } = DefaultClusterDns;

    /// <summary>The cluster's DNS domain, searched by ClusterFirst pods (kubelet's <c>--cluster-domain</c>).</summary>
    public string ClusterDomain { get; init; } = DefaultClusterDomain;

    /// <summary>Where the node's cluster DNS forwards names outside the cluster (IP or IP:port); none: such names are refused.</summary>
    public IReadOnlyList<string> DnsUpstreams { get; init; } = [];

    private const string FileName = "network.json";

    /// <summary>A Linux interface name: at most 15 characters, no '/', ':' or blanks.</summary>
    public static bool ValidBridge(string name) => name.Length is > 0 and <= 15 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The service proxy's nftables table (family ip): one per bridge, so several nodes on one machine keep apart.</summary>
    public string ProxyTable => "berth-" + Bridge;

    /// <summary>
    /// The iptables chain that lets the node's pods' traffic through FORWARD: one per bridge, so that several nodes on
    /// one machine neither flush each other's rules nor race to create one shared chain.
    /// </summary>
    public string ForwardChain => "BERTH-" + Bridge;

    public static bool ValidCidr(string cidr) => Ipv4Cidr.TryParse(cidr, out _);

    public void Save(string agentDir)
    {
        Directory.CreateDirectory(agentDir);
        File.WriteAllText(Path.Combine(agentDir, FileName), JsonSerializer.Serialize(this, PodNetworkSettingsJson.Default.PodNetworkSettings));
    }

    public static PodNetworkSettings? Load(string agentDir)
    {
        var path = Path.Combine(agentDir, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), PodNetworkSettingsJson.Default.PodNetworkSettings) : null;
    }
}

/// <summary><c>network.json</c>'s reader and writer, generated at build time: the binary is compiled ahead of time.</summary>
[JsonSerializable(typeof(PodNetworkSettings))]
internal sealed partial class PodNetworkSettingsJson : JsonSerializerContext;
