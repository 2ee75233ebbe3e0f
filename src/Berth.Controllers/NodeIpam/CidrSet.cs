using System.Collections;
using Berth.Core.Networking;

namespace Berth.Controllers.NodeIpam;

/// <summary>
/// The subnets of one IPv4 cluster CIDR, each of <see cref="SubnetPrefix"/> bits (10.42.0.0/16 in /24s: 256 of
/// them), and which are taken. Allocation goes on from after the last one handed out, as upstream's, so a subnet
/// just released is not reused at once.
/// </summary>
public sealed class CidrSet
{
    private readonly Ipv4Cidr _cluster;
    private readonly BitArray _taken;
    private int _next;

    public CidrSet(string clusterCidr, int subnetPrefix)
    {
        if (!Ipv4Cidr.TryParse(clusterCidr, out _cluster))
            throw new FormatException($"\"{clusterCidr}\" is not an IPv4 network in CIDR notation, such as 10.42.0.0/16");
        if (subnetPrefix < _cluster.Prefix || subnetPrefix > 30)
            throw new FormatException($"a node's pod CIDR must be between /{_cluster.Prefix} and /30, not /{subnetPrefix}");
        if (subnetPrefix - _cluster.Prefix > 20)
            throw new FormatException($"{clusterCidr} would make more than 2^20 subnets of /{subnetPrefix}");
        SubnetPrefix = subnetPrefix;
        _taken = new BitArray(1 << (subnetPrefix - _cluster.Prefix));
    }

    public int SubnetPrefix { get; }

    public int Count => _taken.Length;

    /// <summary>The next free subnet, taken; null when all are.</summary>
    public string? Allocate()
    {
        for (var i = 0; i < _taken.Length; i++)
        {
            var candidate = (_next + i) % _taken.Length;
            if (_taken[candidate])
                continue;
            _taken[candidate] = true;
            _next = (candidate + 1) % _taken.Length;
            return new Ipv4Cidr(_cluster.Network + ((uint)candidate << (32 - SubnetPrefix)), SubnetPrefix).ToString();
        }
        return null;
    }

    /// <summary>Marks a subnet taken (a node has it already); false if it is not one of this set's.</summary>
    public bool Occupy(string cidr)
    {
        if (IndexOf(cidr) is not { } index)
            return false;
        _taken[index] = true;
        return true;
    }

    public void Release(string cidr)
    {
        if (IndexOf(cidr) is { } index)
            _taken[index] = false;
    }

    private int? IndexOf(string cidr) =>
        Ipv4Cidr.TryParse(cidr, out var subnet) && subnet.Prefix == SubnetPrefix && _cluster.Contains(subnet.Network)
            ? (int)((subnet.Network - _cluster.Network) >> (32 - SubnetPrefix))
            : null;
}
