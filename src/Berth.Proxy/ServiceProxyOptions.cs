namespace Berth.Proxy;

/// <summary>
/// How the service proxy programs this node: its table's name (one per bridge, so that the rules of several Berth
/// nodes on one machine, each in its own cluster, can be told apart and removed apart), the node whose endpoints count
/// as local, the cluster's pod and service CIDRs, and the addresses on
/// which NodePorts answer (CIDRs; upstream's <c>--nodeport-addresses</c>).
/// </summary>
public sealed record ServiceProxyOptions(string TableName, string NodeName, string ClusterCidr, string ServiceCidr, IReadOnlyList<string> NodePortAddresses);
