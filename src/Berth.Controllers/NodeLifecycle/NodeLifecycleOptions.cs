namespace Berth.Controllers.NodeLifecycle;

/// <summary>
/// How the node lifecycle controller watches nodes, with kube-controller-manager's defaults: it looks every 5 s
/// (<c>--node-monitor-period</c>); a node that neither renewed its Lease nor posted its status for 40 s
/// (<c>--node-monitor-grace-period</c>), or never posted it within 60 s of appearing, is Unknown; NoExecute taints
/// go onto sick nodes at 0.1 nodes a second per zone (<c>--node-eviction-rate</c>), 0.01 in a big zone that is
/// mostly sick (<c>--secondary-node-eviction-rate</c>, over 50 nodes and 55 % not ready), and not at all while the
/// whole cluster is down.
/// </summary>
public sealed record NodeLifecycleOptions(
    TimeSpan MonitorPeriod,
    TimeSpan GracePeriod,
    TimeSpan StartupGracePeriod,
    double EvictionRate,
    double SecondaryEvictionRate,
    int LargeClusterThreshold,
    double UnhealthyZoneThreshold)
{
    public static NodeLifecycleOptions Default { get; } = new(
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(60), 0.1, 0.01, 50, 0.55);
}
