namespace Berth.Controllers.NodeIpam;

/// <summary>Where nodes' pod CIDRs come from: the cluster's pod network (k3s's default, 10.42.0.0/16), in subnets of /24 each.</summary>
public sealed record NodeIpamOptions(string ClusterCidr, int NodeCidrPrefix)
{
    public static NodeIpamOptions Default { get; } = new("10.42.0.0/16", 24);
}
